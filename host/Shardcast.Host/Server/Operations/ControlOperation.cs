using Shardcast.Models.Anomaly;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>
/// `control`: the control loop over the managed store (Server:StoreControl): whether it runs, its settings, the cycles
/// after `since` (each with the nodes' measured utilisation, the forecast and planned peaks, the decision, moves and
/// bytes), and, with `action`, pause or resume.
/// </summary>
public sealed class ControlOperation : IOperation
{
    public string Name => "control";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "cluster", "since", "action");
        StoreRequest.Resolve(context, fields);
        var control = context.Control
            ?? throw new ProtocolException(ErrorCodes.NotFound, $"{fields.PathOf("cluster")}: this server runs no control loop over its store (start it with --control, or Server:StoreControl)");
        long since = fields.OptionalInteger("since", 0, 0, long.MaxValue);
        bool changed = fields.OptionalString("action") switch
        {
            null => false,
            "pause" => control.Pause(),
            "resume" => control.Resume(),
            var other => throw new BadRequestException("body.action", $"expected pause or resume, found '{other}'"),
        };
        var cycles = control.After(since);
        return MsgPackValue.Map(
            ("cluster", MsgPackValue.From(context.Options.StoreName)),
            ("running", MsgPackValue.From(control.Running)),
            ("action_taken", MsgPackValue.From(changed)),
            ("step_seconds", MsgPackValue.From(control.Options.Step.TotalSeconds)),
            ("horizon", MsgPackValue.From(control.Options.Horizon)),
            ("theta", MsgPackValue.From(control.Options.Theta)),
            ("min_gain", MsgPackValue.From(control.Options.MinGain)),
            ("plan_every", MsgPackValue.From(control.Options.PlanEvery)),
            ("detect_anomalies", MsgPackValue.From(control.Options.DetectAnomalies)),
            ("replan_on_anomaly", MsgPackValue.From(control.Options.ReplanOnAnomaly)),
            ("node_capacity", control.NodeCapacity is { } c ? MsgPackValue.From(c) : MsgPackValue.Nil),
            ("cycles", MsgPackValue.FromArray(cycles.Select(Cycle))),
            ("last", MsgPackValue.From(cycles.Count > 0 ? cycles[^1].Cycle : since)));
    }

    private static MsgPackValue Cycle(Shardcast.Control.CycleReport r) => MsgPackValue.Map(
        ("cycle", MsgPackValue.From(r.Cycle)),
        ("t", MsgPackValue.From(Math.Round(r.At.TotalSeconds, 3))),
        ("measured", MsgPackValue.Map([.. r.Measured.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, MsgPackValue.From(Math.Round(m.Value, 4))))])),
        ("forecast_peak", double.IsNaN(r.ForecastPeak) ? MsgPackValue.Nil : MsgPackValue.From(Math.Round(r.ForecastPeak, 4))),
        ("planned_peak", double.IsNaN(r.PlannedPeak) ? MsgPackValue.Nil : MsgPackValue.From(Math.Round(r.PlannedPeak, 4))),
        ("decision", MsgPackValue.From(r.Decision)),
        ("trigger", r.Trigger is null ? MsgPackValue.Nil : MsgPackValue.From(r.Trigger)),
        ("anomalies", MsgPackValue.FromArray(r.Anomalies.Select(a => MsgPackValue.Map(
            ("partition", MsgPackValue.From(a.Partition)),
            ("ops_per_second", MsgPackValue.From(Math.Round(a.OperationsPerSecond, 1))),
            ("score", MsgPackValue.From(Math.Round(a.Score, 6))),
            ("z", MsgPackValue.From(Math.Round(a.Z, 2))),
            ("severity", MsgPackValue.From(a.Severity.Name())))))),
        ("problem", r.Problem is null ? MsgPackValue.Nil : MsgPackValue.From(r.Problem)),
        ("moves", MsgPackValue.From(r.Moves)),
        ("bytes", MsgPackValue.From(Math.Round(r.Bytes))),
        ("partitions", MsgPackValue.From(r.Partitions)),
        ("plan_ms", MsgPackValue.From(Math.Round(r.PlanTime.TotalMilliseconds, 1))));
}
