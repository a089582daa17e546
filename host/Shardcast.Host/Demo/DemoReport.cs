using System.Globalization;
using System.Text;
using Shardcast.Control.Simulation;

namespace Shardcast.Host.Demo;

/// <summary>
/// report.html: one self-contained page (inline SVG and CSS, no script, nothing fetched) with the comparison table,
/// each policy's node heat map, forecast against actual for the hottest partitions, overload, bytes moved and node
/// count over time.
/// </summary>
public static class DemoReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static readonly IReadOnlyDictionary<string, string> Colors = new Dictionary<string, string>
    {
        ["static"] = "#7f7f7f",
        ["slot_count"] = "#9467bd",
        ["reactive"] = "#d62728",
        ["predictive"] = "#1f77b4",
    };

    public static string Html(DemoRequest request, DemandSet demand, IReadOnlyList<PolicyOutcome> outcomes)
    {
        var s = request.Scenario;
        double hoursPerStep = s.StepMinutes / 60.0;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shardcast demo</title>");
        html.Append("<style>body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}table{border-collapse:collapse;margin:12px 0}")
            .Append("th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}")
            .Append("td.best{font-weight:bold;background:#eef6ee}h2{margin-top:32px}.note{color:#555;font-size:13px}svg{display:block;margin:8px 0}</style></head><body>");
        html.Append("<h1>Shardcast: acting on forecasts against reacting</h1>");
        html.Append(C, $"<p class=\"note\">{Escape(Scenario(s, demand))}</p>");

        html.Append("<h2>Comparison</h2>");
        html.Append(Table(outcomes));
        html.Append("<p class=\"note\">Overload: node-minutes above capacity. Over theta: node-minutes above the target utilisation. p99 latency: an M/M/1 estimate per node and minute plus the wait behind the backlog an overload leaves (at most 10 s), the request-weighted 99th percentile. Node-hours count every node in the cluster, provisioning included. Lost writes: acknowledged writes not read back from the store after the policy's moves were carried out on it.</p>");

        html.Append("<h2>Node utilisation over the day</h2>");
        foreach (var outcome in outcomes)
        {
            var run = outcome.Run;
            var rows = run.Nodes.Select(n => n.Id + (n.Failed ? " (failed)" : "")).ToList();
            html.Append(SvgCharts.Heat($"{run.Policy}: utilisation per node", rows, run.NodeUtilisation, hoursPerStep, "simulated hour", s.Theta));
        }

        html.Append("<h2>Overload and data moved over time</h2>");
        html.Append(SvgCharts.Lines("Overloaded node-minutes, cumulative", "simulated hour", "node-minutes",
            outcomes.Select(o => new ChartLine(o.Run.Policy, Color(o.Run.Policy), Cumulative(o.Run.OverloadPerStep))).ToList(), hoursPerStep));
        html.Append(SvgCharts.Lines("Bytes moved, cumulative", "simulated hour", "bytes",
            outcomes.Select(o => new ChartLine(o.Run.Policy, Color(o.Run.Policy), Cumulative(BytesPerStep(o.Run, s)))).ToList(), hoursPerStep));
        html.Append(SvgCharts.Lines("Moves started per hour", "simulated hour", "moves",
            outcomes.Select(o => new ChartLine(o.Run.Policy, Color(o.Run.Policy), MovesPerHour(o.Run, s), Step: true)).ToList(), 1));
        html.Append(SvgCharts.Lines("Nodes in the cluster", "simulated hour", "nodes",
            outcomes.Select(o => new ChartLine(o.Run.Policy, Color(o.Run.Policy), o.Run.NodeCount.Select(c => (double)c).ToArray(), Step: true)).ToList(), hoursPerStep));

        if (outcomes.FirstOrDefault(o => o.Predictive is not null) is { Predictive: { } forecasts } predictive)
        {
            html.Append("<h2>Forecast against actual, the hottest partitions</h2>");
            html.Append(C, $"<p class=\"note\">One step ahead ({s.StepMinutes} minutes), as the predictive policy received them from the host ({Escape(predictive.ForecastModels ?? "")}); the band runs from the median to the planned quantile q{request.Predictive.Quantile:0.##}. MASE over every partition (scaled by the seasonal-naive forecast's in-sample error, docs/demo.md): {predictive.ForecastMase:0.###}.</p>");
            foreach (int p in Hottest(demand, 4))
            {
                var (median, upper) = forecasts.ForecastOf(p);
                var actual = Enumerable.Range(0, s.Steps).Select(step => demand.At(step)[p]).ToArray();
                html.Append(SvgCharts.Lines($"{DemandSet.PartitionName(p)}: load (ops/s)", "simulated hour", "ops/s",
                    [new ChartLine("actual", "#222", actual), new ChartLine("forecast median", "#1f77b4", median, Dashed: true)], hoursPerStep,
                    band: (median, upper, "#1f77b4", $"median to q{request.Predictive.Quantile:0.##}")));
            }
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    public static string Scenario(DemoScenario s, DemandSet demand) => string.Create(C,
        $"{demand.Source} workload, seed {s.Seed}: {s.Hours:0.#} simulated hours in {s.StepMinutes}-minute steps after {s.WarmupDays} days of history; {s.Nodes} nodes of {s.NodeCapacity:N0} ops/s, {s.Partitions} partitions ({demand.SizeBytes.Sum() / 1e12:0.00} TB), {s.Tenants} tenants; the day's demand peaks at {demand.PeakTotal():N0} ops/s ({demand.PeakTotal() / (s.Nodes * s.NodeCapacity):P0} of the starting nodes); theta {s.Theta:0.##}; moves copy at {s.MigrationBytesPerSecond / 1e6:0} MB/s, {s.MovesPerNode} per node at once, and load both ends by {s.CopyLoadShare:P0} of the partition's load while they copy; ")
        + (s.FailureHour is { } f ? string.Create(C, $"a node fails at hour {f:0.#}; ") : "")
        + (s.AddHour is { } a ? string.Create(C, $"a node joins at hour {a:0.#}; ") : "")
        + string.Create(C, $"{demand.Events.Count(e => e.Kind == "flash_crowd")} flash crowds; nodes a policy adds take {s.ProvisionMinutes} minutes to take load.");

    private static string Table(IReadOnlyList<PolicyOutcome> outcomes)
    {
        var columns = new (string Name, Func<PolicyOutcome, double?> Value, string Format, bool LowerIsBetter)[]
        {
            ("overload node-min", o => o.Run.OverloadNodeMinutes, "N0", true),
            ("over theta node-min", o => o.Run.OverThetaNodeMinutes, "N0", true),
            ("p99 latency ms", o => o.Run.P99LatencyMs, "0.0", true),
            ("moves", o => o.Run.Moves.Count(m => m.EndTick is not null), "N0", true),
            ("GB moved", o => o.Run.BytesMoved / 1e9, "N1", true),
            ("node-hours", o => o.Run.NodeHours, "N1", true),
            ("plan ms p50", o => o.Run.PlanMs.Length == 0 ? null : o.Run.PlanMsPercentile(0.5), "N1", true),
            ("plan ms p99", o => o.Run.PlanMs.Length == 0 ? null : o.Run.PlanMsPercentile(0.99), "N1", true),
            ("lost writes", o => o.Store?.LostWrites, "N0", true),
            ("forecast MASE", o => o.ForecastMase, "0.000", true),
        };
        var table = new StringBuilder("<table id=\"comparison\"><tr><th>policy</th>");
        foreach (var column in columns)
        {
            table.Append("<th>").Append(Escape(column.Name)).Append("</th>");
        }

        table.Append("</tr>");
        foreach (var outcome in outcomes)
        {
            table.Append("<tr><td>").Append(Escape(outcome.Run.Policy)).Append("</td>");
            foreach (var column in columns)
            {
                double? value = column.Value(outcome);
                var known = outcomes.Select(column.Value).Where(v => v is not null).Select(v => v!.Value).ToList();
                bool best = value is { } v && known.Count > 1 && v <= known.Min() && column.Name is "overload node-min" or "over theta node-min" or "p99 latency ms" or "node-hours" or "GB moved";
                table.Append(best ? "<td class=\"best\">" : "<td>").Append(value is { } x ? x.ToString(column.Format, C) : "-").Append("</td>");
            }

            table.Append("</tr>");
        }

        return table.Append("</table>").ToString();
    }

    public static string Color(string policy) => Colors.TryGetValue(policy, out var c) ? c : "#444";

    private static double[] BytesPerStep(PolicyRun run, DemoScenario s)
    {
        var bytes = new double[s.Steps];
        foreach (var move in run.Moves.Where(m => m.EndTick is not null))
        {
            bytes[Math.Min(s.Steps - 1, move.EndTick!.Value / s.TicksPerStep)] += move.Bytes;
        }

        return bytes;
    }

    private static double[] MovesPerHour(PolicyRun run, DemoScenario s)
    {
        var moves = new double[(int)Math.Ceiling(s.Hours)];
        foreach (var move in run.Moves)
        {
            moves[Math.Min(moves.Length - 1, move.StartTick / 60)]++;
        }

        return moves;
    }

    private static double[] Cumulative(double[] values)
    {
        var sum = new double[values.Length];
        double total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            total += values[i];
            sum[i] = total;
        }

        return sum;
    }

    private static IEnumerable<int> Hottest(DemandSet demand, int count) =>
        Enumerable.Range(0, demand.Partitions).OrderByDescending(p => Enumerable.Range(0, demand.Steps).Max(s => demand.At(s)[p])).Take(count);

    private static string Escape(string text) => SvgCharts.Escape(text);
}
