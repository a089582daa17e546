using System.Diagnostics;
using System.Text.Json;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Engine.Routing;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>
/// `plan`: the body is a cluster file's fields (plus `options`, `record_route`, `require_feasible`, `cache_as`); the
/// answer is the plan file's. `record_route` writes the plan's assignment into the routing table: it records where
/// partitions are meant to be served and moves no data.
/// </summary>
public sealed class PlanOperation : IOperation
{
    public string Name => "plan";

    public bool IsHeavy(MsgPackValue body) => true;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        if (body["apply"] is not null)
        {
            throw new BadRequestException("body.apply", "renamed record_route: it records the plan in the routing table and moves no data");
        }

        var (spec, extras) = ClusterRequest.Read(body, "options", "record_route", "require_feasible", "cache_as");
        var options = RequestOptions(spec, extras.GetValueOrDefault("options"), context);
        var clock = Stopwatch.StartNew();
        var curve = CurveOption(extras.GetValueOrDefault("options"));
        var plan = Planner.Plan(spec, options, context.Cancellation);
        if (curve.Asked)
        {
            plan = MovementCurve.Attach(plan, curve.Budgets, options with { Deadline = null }, cancellationToken: context.Cancellation);
        }

        if (extras.GetValueOrDefault("cache_as") is { } cacheAs)
        {
            context.Clusters.Put(BodyFields.AsString(cacheAs, "body.cache_as"), plan.Input, plan.Assignment);
        }

        context.Metrics.RecordPlan(plan.Search.Backend, clock.Elapsed);
        var answer = Answer(plan);
        if (RouteCluster(extras.GetValueOrDefault("record_route")) is { } cluster)
        {
            var (epoch, changed) = RouteOperation.Table(context, cluster, "body.record_route").Record([.. plan.Input.Spec.Partitions.Select((p, i) => (p.Id, spec.Nodes[plan.Assignment[i]].Id))]);
            answer = MsgPackValue.FromMap([
                .. answer.Pairs,
                new(MsgPackValue.From("route_cluster"), MsgPackValue.From(cluster)),
                new(MsgPackValue.From("route_epoch"), MsgPackValue.From(epoch)),
                new(MsgPackValue.From("route_changes"), MsgPackValue.From((long)changed)),
            ]);
        }

        if (!plan.Feasible && extras.GetValueOrDefault("require_feasible") is { Kind: MsgPackKind.Boolean, Boolean: true })
        {
            throw new ProtocolException(ErrorCodes.Infeasible, $"no feasible plan found: {plan.Scaling.Reason}", answer);
        }

        return answer;
    }

    /// <summary>`options.curve`: "auto" (null budgets) or byte budgets, each zero or more; absent: no curve.</summary>
    private static (bool Asked, IReadOnlyList<double>? Budgets) CurveOption(MsgPackValue? options)
    {
        if (options is not { Kind: MsgPackKind.Map } || options["curve"] is not { } curve || curve.Kind == MsgPackKind.Nil)
        {
            return (false, null);
        }

        if (curve is { Kind: MsgPackKind.String, String: "auto" })
        {
            return (true, null);
        }

        if (curve.Kind != MsgPackKind.Array || curve.Items.Count is 0 or > 64)
        {
            throw new BadRequestException("body.options.curve", "expected \"auto\" or an array of 1 to 64 byte budgets");
        }

        var budgets = new List<double>(curve.Items.Count);
        for (int i = 0; i < curve.Items.Count; i++)
        {
            var item = curve.Items[i];
            double budget = item.Kind is MsgPackKind.Integer or MsgPackKind.Float ? item.AsDouble() : double.NaN;
            if (!(budget >= 0) || !double.IsFinite(budget))
            {
                throw new BadRequestException($"body.options.curve[{i}]", $"expected a byte budget of zero or more, found {item}");
            }

            budgets.Add(budget);
        }

        return (true, budgets);
    }

    /// <summary>`record_route`: true records under the default cluster, a string names the cluster; false or absent records nothing.</summary>
    private static string? RouteCluster(MsgPackValue? value) => value switch
    {
        null or { Kind: MsgPackKind.Nil } or { Kind: MsgPackKind.Boolean, Boolean: false } => null,
        { Kind: MsgPackKind.Boolean, Boolean: true } => RoutingTables.DefaultCluster,
        { Kind: MsgPackKind.String } name => name.String,
        _ => throw new BadRequestException("body.record_route", $"expected true or a cluster name, found {BodyFields.Describe(value)}"),
    };

    /// <summary>The plan file's fields as a map: the answer's body.</summary>
    public static MsgPackValue Answer(Plan plan)
    {
        using var document = JsonDocument.Parse(PlanFileWriter.ToUtf8(plan));
        return MsgPackJson.FromJson(document.RootElement);
    }

    internal static PlanOptions RequestOptions(ClusterSpec spec, MsgPackValue? value, RequestContext context)
    {
        // The search gets at most what is left of the request's budget, less a margin for judging, sequencing and answering.
        int remainingMs = (int)Math.Clamp((context.Remaining.TotalMilliseconds * 0.8) - 50, 1, int.MaxValue);

        // Building a large cluster's problem takes seconds too: the deadline makes it count against the budget.
        long deadline = PlanOptions.DeadlineIn(0.9 * context.Remaining, context.Clock);
        if (value is null)
        {
            return new PlanOptions { TimeMs = Math.Min(spec.Search.TimeMs, remainingMs), Deadline = deadline, Clock = context.Clock, ForecastNetwork = context.Model?.Current.Network };
        }

        var o = new BodyFields(value, "body.options", "time_ms", "seed", "backend", "algorithm", "steps_per_chain", "movement_guard", "curve", "advise_scaling", "restructure");
        string? backend = o.OptionalString("backend");
        if (backend is not null && !BackendCatalog.Known.Contains(backend))
        {
            throw new BadRequestException("body.options.backend", $"expected one of {string.Join(", ", BackendCatalog.Known)}, found '{backend}'");
        }

        string? algorithm = o.OptionalString("algorithm");
        long timeMs = o.OptionalInteger("time_ms", -1, 1, int.MaxValue);
        return new PlanOptions
        {
            TimeMs = (int)Math.Min(timeMs > 0 ? timeMs : spec.Search.TimeMs, remainingMs),
            Deadline = deadline,
            Clock = context.Clock,
            Seed = o.Optional("seed") is { } seed ? (ulong)o.OptionalInteger("seed", 1, 0, long.MaxValue) : null,
            Backend = backend,
            Algorithm = algorithm is null ? null : algorithm is "anneal" or "genetic" or "greedy" or "genetic-anneal" ? Planner.ParseAlgorithm(algorithm) : throw new BadRequestException("body.options.algorithm", $"expected anneal, genetic, greedy or genetic-anneal, found '{algorithm}'"),
            StepsPerChain = o.Optional("steps_per_chain") is not null ? o.OptionalInteger("steps_per_chain", 0, 1, long.MaxValue) : null,
            MovementGuard = o.OptionalBool("movement_guard", true),
            Restructure = o.OptionalBool("restructure", true),
            AdviseScaling = o.OptionalBool("advise_scaling", true),
            ForecastNetwork = context.Model?.Current.Network,
        };
    }
}
