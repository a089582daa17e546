using System.Text.Json;
using System.Text.Json.Nodes;
using Shardcast.Control.Simulation;

namespace Shardcast.Host.Demo;

/// <summary>results.json: the scenario and each policy's figures (docs/demo.md defines every field).</summary>
public static class DemoResults
{
    public static JsonObject Build(DemoRequest request, DemandSet demand, IReadOnlyList<PolicyOutcome> outcomes)
    {
        var s = request.Scenario;
        var scenario = new JsonObject
        {
            ["workload"] = demand.Source,
            ["seed"] = s.Seed,
            ["hours"] = s.Hours,
            ["nodes"] = s.Nodes,
            ["partitions"] = s.Partitions,
            ["tenants"] = s.Tenants,
            ["step_minutes"] = s.StepMinutes,
            ["warmup_days"] = s.WarmupDays,
            ["node_capacity_ops"] = s.NodeCapacity,
            ["peak_demand_share"] = s.PeakDemandShare,
            ["peak_demand_ops"] = Math.Round(demand.PeakTotal(), 1),
            ["theta"] = s.Theta,
            ["migration_bytes_per_second"] = s.MigrationBytesPerSecond,
            ["copy_load_share"] = s.CopyLoadShare,
            ["moves_per_node"] = s.MovesPerNode,
            ["provision_minutes"] = s.ProvisionMinutes,
            ["failure_hour"] = s.FailureHour,
            ["add_hour"] = s.AddHour,
            ["data_bytes"] = Math.Round(demand.SizeBytes.Sum()),
            ["events"] = new JsonArray(demand.Events.Select(e => (JsonNode)new JsonObject
            {
                ["kind"] = e.Kind,
                ["partition"] = DemandSet.PartitionName(e.Partition),
                ["from_minute"] = Math.Max(0, e.FromStep) * s.StepMinutes,
                ["to_minute"] = Math.Min(s.Steps, e.ToStep) * s.StepMinutes,
                ["extra_ops"] = Math.Round(e.ExtraOpsPerSecond, 1),
            }).ToArray()),
            ["predictive"] = new JsonObject
            {
                ["model"] = request.Predictive.Model,
                ["horizon_steps"] = request.Predictive.Horizon,
                ["quantile"] = request.Predictive.Quantile,
                ["plan_time_ms"] = request.Predictive.PlanTimeMs,
                ["min_gain"] = request.Predictive.MinGain,
                ["scaling"] = request.Predictive.Scaling,
                ["plan_on"] = request.Predictive.PlanOnMedian ? "median" : "quantile",
                ["scale_in_hours"] = request.Predictive.ScaleInHours,
            },
        };
        var policies = new JsonObject();
        foreach (var outcome in outcomes)
        {
            policies[outcome.Run.Policy] = Policy(outcome);
        }

        return new JsonObject { ["scenario"] = scenario, ["policies"] = policies };
    }

    private static JsonObject Policy(PolicyOutcome outcome)
    {
        var run = outcome.Run;
        var figures = new JsonObject
        {
            ["overload_node_minutes"] = run.OverloadNodeMinutes,
            ["over_theta_node_minutes"] = run.OverThetaNodeMinutes,
            ["p99_latency_ms"] = Math.Round(run.P99LatencyMs, 2),
            ["moves"] = run.Moves.Count(m => m.EndTick is not null),
            ["moves_interrupted"] = run.Moves.Count(m => m.EndTick is null),
            ["refused_moves"] = run.RefusedMoves,
            ["bytes_moved"] = Math.Round(run.BytesMoved),
            ["bytes_moved_by_reason"] = new JsonObject(run.Moves.GroupBy(m => m.Reason).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => KeyValuePair.Create(g.Key, (JsonNode?)Math.Round(g.Sum(m => m.Bytes))))),
            ["node_hours"] = Math.Round(run.NodeHours, 3),
            ["peak_nodes"] = run.NodeCount.DefaultIfEmpty(0).Max(),
            ["min_nodes"] = run.NodeCount.DefaultIfEmpty(0).Min(),
            ["cycles"] = outcome.Cycles,
            ["anomaly_cycles"] = outcome.AnomalyCycles,
            ["plan_ms_p50"] = Math.Round(run.PlanMsPercentile(0.5), 3),
            ["plan_ms_p99"] = Math.Round(run.PlanMsPercentile(0.99), 3),
            ["lost_writes"] = outcome.Store?.LostWrites,
            ["forecast_mase"] = outcome.ForecastMase is { } m ? Math.Round(m, 4) : null,
            ["forecast_models"] = outcome.ForecastModels,
        };
        if (outcome.Predictive is { } predictive)
        {
            figures["forecast_mase_lag1"] = predictive.ForecastMaseLag1 is { } lag1 ? Math.Round(lag1, 4) : null;
            figures["forecast_call_ms_p50"] = Math.Round(PolicyRun.Percentile([.. predictive.ForecastCallMs], 0.5), 3);
            figures["plan_call_ms_p50"] = Math.Round(PolicyRun.Percentile([.. predictive.PlanCallMs], 0.5), 3);
        }

        if (outcome.Store is { } store)
        {
            figures["store"] = new JsonObject
            {
                ["moves_carried_out"] = store.MovesCarriedOut,
                ["moves_skipped"] = store.MovesSkipped,
                ["moves_failed"] = store.MovesFailed,
                ["keys_copied"] = store.KeysCopied,
                ["writes"] = store.Writes,
                ["lost_writes"] = store.LostWrites,
                ["seconds"] = Math.Round(store.Seconds, 1),
            };
        }

        return figures;
    }

    public static string ToText(JsonObject results) => results.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
