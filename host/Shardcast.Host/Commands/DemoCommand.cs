using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Shardcast.Control.Simulation;
using Shardcast.Host.Demo;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast demo`: a simulated day of changing load on a cluster, four policies on the same demand (static,
/// slot-count, reactive, predictive), the predictive one talking to the socket host over the socket; each policy's
/// moves carried out on an embedded Garnet cluster with real keys; a comparison table, results.json and report.html
/// (docs/demo.md).
/// </summary>
public static class DemoCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var seed = new Option<ulong>("--seed") { Description = "Seed of the workload and the planner.", DefaultValueFactory = _ => 1 };
        var hours = new Option<double>("--hours") { Description = "Simulated hours compared (after the warm-up days of history).", DefaultValueFactory = _ => 24 };
        var nodes = new Option<int>("--nodes") { Description = "Nodes at the start (static placement is sized for the day's peak on them).", DefaultValueFactory = _ => 8 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions.", DefaultValueFactory = _ => 64 };
        var trace = new Option<string?>("--trace") { Description = "Replay the timestamp,value CSV series under this folder (e.g. NAB's data) instead of the synthetic workload." };
        var output_ = new Option<string?>("--out") { Description = "Folder for results.json and report.html (created; default: a new shardcast-demo-<time> folder here)." };
        var policies = new Option<string>("--policies") { Description = "Policies to compare, comma-separated: static, slot_count, reactive, predictive.", DefaultValueFactory = _ => string.Join(",", DemoRun.AllPolicies) };
        var model = new Option<string>("--model") { Description = "The predictive policy's forecast model: auto, lstm, ets, snaive.", DefaultValueFactory = _ => "auto" };
        var planTime = new Option<int>("--plan-time-ms") { Description = "The predictive policy's search time per cycle.", DefaultValueFactory = _ => 100 };
        var noScaling = new Option<bool>("--no-scaling") { Description = "The predictive policy plans on the nodes there are (adds and drains none), as the other policies do." };
        var planOn = new Option<string>("--plan-on") { Description = "What the predictive policy plans on: quantile (each partition's q0.9) or median.", DefaultValueFactory = _ => "quantile" };
        planOn.AcceptOnlyFromAmong("quantile", "median");
        var noStore = new Option<bool>("--no-store") { Description = "Do not carry the moves out on an embedded Garnet cluster (no lost-write check)." };
        var storeMoves = new Option<int>("--store-moves") { Description = "Most moves per policy carried out on the store.", DefaultValueFactory = _ => 1000 };
        var warmup = new Option<int>("--warmup-days") { Description = "Days of history before the compared hours.", DefaultValueFactory = _ => 3 };
        var failureHour = new Option<double?>("--failure-hour") { Description = "The simulated hour a node fails (-1: none; default 9.5 of 24, in proportion for other --hours)." };
        var addHour = new Option<double?>("--add-hour") { Description = "The simulated hour a replacement node joins (-1: none; default 13 of 24, in proportion)." };
        model.AcceptOnlyFromAmong("auto", "lstm", "ets", "snaive");
        var command = new Command("demo", "A simulated day of changing load: static, slot-count, reactive and Shardcast's predictive policy on the same cluster, with a report.")
        {
            seed, hours, nodes, partitions, trace, output_, policies, model, planTime, noScaling, planOn, noStore, storeMoves, warmup, failureHour, addHour,
        };
        command.SetAction(parse =>
        {
            var names = parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.Replace('-', '_')).ToList();
            var scenario = new DemoScenario
            {
                Seed = parse.GetValue(seed),
                Hours = parse.GetValue(hours),
                Nodes = parse.GetValue(nodes),
                Partitions = parse.GetValue(partitions),
                WarmupDays = parse.GetValue(warmup),
                FailureHour = Hour(parse.GetValue(failureHour), 9.5 / 24, parse.GetValue(hours)),
                AddHour = Hour(parse.GetValue(addHour), 13.0 / 24, parse.GetValue(hours)),
            };
            string folder = parse.GetValue(output_) ?? $"shardcast-demo-{DateTime.Now:yyyyMMdd-HHmmss}";
            string? refused = CommandGuard.ValidationProblem(scenario.Validate)
                ?? (names.Count == 0 ? "--policies names none" : null)
                ?? names.Where(n => !DemoRun.AllPolicies.Contains(n)).Select(n => $"--policies: unknown policy '{n}'; known: {string.Join(", ", DemoRun.AllPolicies)}").FirstOrDefault()
                ?? (names.Distinct().Count() != names.Count ? "--policies names a policy twice" : null)
                ?? (names.Contains("predictive") && scenario.WarmupDays < 1 ? $"--warmup-days must be at least 1 where the predictive policy runs (its forecasts learn from the history), found {scenario.WarmupDays}" : null)
                ?? (parse.GetValue(planTime) is < 1 or > 60_000 ? $"--plan-time-ms must be 1 to 60000, found {parse.GetValue(planTime)}" : null)
                ?? (parse.GetValue(storeMoves) < 0 ? $"--store-moves must be 0 or more, found {parse.GetValue(storeMoves)}" : null)
                ?? (parse.GetValue(trace) is { } t && !Directory.Exists(t) ? $"--trace {t}: no such folder" : null)
                ?? (File.Exists(folder) ? $"--out {folder}: is a file; name a folder" : null)
                ?? (scenario.Partitions * new StoreReplayOptions().SlotsPerPartition > 16384 && !parse.GetValue(noStore) ? $"--partitions {scenario.Partitions}: the store replay gives each partition 8 slots, so at most 2048 (or --no-store)" : null);
            if (refused is not null)
            {
                error.WriteLine($"error: {refused}");
                return ExitCodes.BadInput;
            }

            var request = new DemoRequest
            {
                Scenario = scenario,
                Trace = parse.GetValue(trace),
                Policies = names,
                Predictive = new PredictiveOptions { Model = parse.GetValue(model)!, PlanTimeMs = parse.GetValue(planTime), Scaling = !parse.GetValue(noScaling), PlanOnMedian = parse.GetValue(planOn) == "median" },
                Store = !parse.GetValue(noStore),
                Replay = new StoreReplayOptions { MaxMovesPerPolicy = parse.GetValue(storeMoves) },
            };
            return CommandGuard.Run(
                error,
                () => CommandGuard.Interruptible(token => RunAsync(request, folder, output, error, token).GetAwaiter().GetResult()),
                e => e is ArgumentException ? e.Message : null);
        });
        return command;
    }

    /// <summary>An event's hour: as given (negative: none), else the default share of the simulated hours.</summary>
    private static double? Hour(double? given, double share, double hours) => given switch
    {
        null => hours * share,
        < 0 => null,
        { } h => h,
    };

    private static async Task<int> RunAsync(DemoRequest request, string folder, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var demand = DemoRun.Demand(request);
        Directory.CreateDirectory(folder);
        output.WriteLine(DemoReport.Scenario(request.Scenario, demand));
        string state = Path.Combine(Path.GetTempPath(), $"shardcast-demo-state-{Environment.ProcessId}-{Guid.NewGuid():N}");
        IReadOnlyList<PolicyOutcome> outcomes;
        try
        {
            outcomes = await DemoRun.RunAsync(request, demand, state, error, cancellation).ConfigureAwait(false);
        }
        finally
        {
            DataPlane.Store.ClusterForming.TryDeleteFolder(state);
        }

        var results = DemoResults.Build(request, demand, outcomes);
        string resultsPath = Path.Combine(folder, "results.json"), reportPath = Path.Combine(folder, "report.html");
        OutputFile.Write(resultsPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(DemoResults.ToText(results) + "\n")));
        OutputFile.Write(reportPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(DemoReport.Html(request, demand, outcomes))));
        output.WriteLine();
        output.WriteLine(Table(outcomes));
        output.WriteLine(Verdict(outcomes));
        output.WriteLine(string.Create(C, $"results: {resultsPath}"));
        output.WriteLine(string.Create(C, $"report:  {reportPath} (open it in a browser)"));
        output.WriteLine(string.Create(C, $"took {clock.Elapsed.TotalSeconds:0} s"));
        return outcomes.Any(o => o.Store is { LostWrites: > 0 }) ? ExitCodes.InternalError : ExitCodes.Ok;
    }

    internal static string Table(IReadOnlyList<PolicyOutcome> outcomes)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(string.Create(C, $"{"policy",-11} {"overload",9} {">theta",8} {"p99 ms",7} {"moves",6} {"GB moved",9} {"node-h",7} {"plan ms p50/p99",16} {"lost",5} {"MASE",6}"));
        text.AppendLine(string.Create(C, $"{"",-11} {"node-min",9} {"node-min",8}"));
        foreach (var o in outcomes)
        {
            var r = o.Run;
            string plan = r.PlanMs.Length == 0 ? "-" : string.Create(C, $"{r.PlanMsPercentile(0.5):0.0}/{r.PlanMsPercentile(0.99):0.0}");
            text.AppendLine(string.Create(C, $"{r.Policy,-11} {r.OverloadNodeMinutes,9:N0} {r.OverThetaNodeMinutes,8:N0} {r.P99LatencyMs,7:0.0} {r.Moves.Count(m => m.EndTick is not null),6} {r.BytesMoved / 1e9,9:N1} {r.NodeHours,7:N1} {plan,16} {(o.Store is { } st ? st.LostWrites.ToString(C) : "-"),5} {(o.ForecastMase is { } m ? m.ToString("0.000", C) : "-"),6}"));
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>The comparison in words: predictive against reactive and static, by the figures the targets name.</summary>
    internal static string Verdict(IReadOnlyList<PolicyOutcome> outcomes)
    {
        var by = outcomes.ToDictionary(o => o.Run.Policy, o => o.Run);
        if (!by.TryGetValue("predictive", out var p))
        {
            return "";
        }

        var lines = new List<string>();
        if (by.TryGetValue("reactive", out var r))
        {
            lines.Add(string.Create(C, $"predictive against reactive: {Share(p.OverloadNodeMinutes, r.OverloadNodeMinutes)} of its overload node-minutes, {Share(p.BytesMoved, r.BytesMoved)} of its bytes moved"));
        }

        if (by.TryGetValue("static", out var st))
        {
            lines.Add(string.Create(C, $"predictive against static: {Share(p.NodeHours, st.NodeHours)} of its node-hours, {Share(p.OverloadNodeMinutes, st.OverloadNodeMinutes)} of its overload node-minutes"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static string Share(double a, double b) => b > 0 ? (a / b).ToString("P0", C) : a > 0 ? "more than none" : "none";
}
