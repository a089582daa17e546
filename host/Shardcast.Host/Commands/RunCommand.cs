using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Shardcast.Control;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Workload;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Models.Anomaly;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast run`: the control loop over a store (docs/control-loop.md). Starts (or attaches to) the store, runs a
/// workload whose hot region heats up over the run (`ramp`, the default for a store Shardcast starts), and every
/// step observes each partition's traffic, forecasts it, plans for the forecast and carries the plan out where the
/// forecast peak is above theta and the plan lowers it enough; a line per cycle, and every acknowledged write read
/// back at the end.
/// </summary>
public static class RunCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var store = new Option<string>("--store") { Description = StoreOpener.Description, DefaultValueFactory = _ => "garnet" };
        var nodes = new Option<int>("--nodes") { Description = "Primaries of a store Shardcast starts.", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions the slot space is cut into.", DefaultValueFactory = _ => 32 };
        var cycles = new Option<int>("--cycles") { Description = "Cycles to run (0: until Ctrl+C).", DefaultValueFactory = _ => 30 };
        var step = new Option<double>("--step-seconds") { Description = "The step: one cycle, one observation and one forecast step.", DefaultValueFactory = _ => 2 };
        var horizon = new Option<int>("--horizon") { Description = "Steps the forecast and the plan look ahead.", DefaultValueFactory = _ => 6 };
        var quantile = new Option<double>("--quantile") { Description = "The forecast quantile planned for.", DefaultValueFactory = _ => 0.9 };
        var theta = new Option<double>("--theta") { Description = "Act only where the forecast peak utilisation is above this.", DefaultValueFactory = _ => 0.8 };
        var minGain = new Option<double>("--min-gain") { Description = "Act only where the plan lowers the forecast peak by at least this (utilisation).", DefaultValueFactory = _ => 0.05 };
        var capacity = new Option<double?>("--node-capacity") { Description = "Each node's capacity in ops/s; default: the first step's mean node load / 0.6, then fixed." };
        var planTime = new Option<int>("--plan-time-ms") { Description = "The planner's search time per cycle.", DefaultValueFactory = _ => 300 };
        var workload = new Option<string?>("--workload") { Description = "ramp (the hot region's share of operations rises from --ramp-from to --ramp-to over the run), flash (it jumps from --ramp-from to --ramp-to after half the cycles, and not before the 40th where the run is longer than 40: the anomaly detectors learn first), hot (a steady hot region) or none; default ramp for a store Shardcast starts." };
        var rampFrom = new Option<double>("--ramp-from") { Description = "The hot region's share of operations at the start.", DefaultValueFactory = _ => 0.1 };
        var rampTo = new Option<double>("--ramp-to") { Description = "The hot region's share of operations at the end.", DefaultValueFactory = _ => 0.8 };
        var keys = new Option<int>("--keys") { Description = "Keys the workload writes first (Garnet lists a slot's keys by a pass over all of a node's keys, so more keys make each slot's move slower).", DefaultValueFactory = _ => 5_000 };
        var rate = new Option<double>("--rate") { Description = "The workload's operations per second.", DefaultValueFactory = _ => 2_000 };
        var journal = new Option<string?>("--journal") { Description = "The move journal (recovered from at start)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the workload and the planner.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "End with one line of JSON with the figures." };
        var chart = new Option<string?>("--chart") { Description = "Write the run as an SVG chart here: each node's measured utilisation over time, theta, the forecast peaks and where the loop acted." };
        var planEvery = new Option<int>("--plan-every") { Description = "Steps from one planned cycle to the next; the steps between observe and watch for anomalies, and an anomaly plans at once.", DefaultValueFactory = _ => 1 };
        var noDetect = new Option<bool>("--no-detect") { Description = "Do not watch the ranges' traffic for anomalies (cycles plan on the schedule only)." };
        var noReplan = new Option<bool>("--no-replan") { Description = "An anomaly during the loop's execution waits for it to end instead of replanning it at once." };
        workload.AcceptOnlyFromAmong("ramp", "hot", "flash", "none");
        var command = new Command("run", "The control loop: observe a store every step, forecast, plan for the forecast and carry plans out where they pay.")
        {
            store, nodes, partitions, cycles, step, horizon, quantile, theta, minGain, capacity, planTime, planEvery, noDetect, noReplan, workload, rampFrom, rampTo, keys, rate, journal, seed, json, chart,
        };
        command.SetAction(parse =>
        {
            string kind = parse.GetValue(store)!;
            string mode = parse.GetValue(workload) ?? (StoreOpener.Starts(kind) ? "ramp" : "none");
            double from = parse.GetValue(rampFrom), to = parse.GetValue(rampTo), rateValue = parse.GetValue(rate);
            var control = new ControlOptions
            {
                Step = TimeSpan.FromSeconds(parse.GetValue(step)),
                Horizon = parse.GetValue(horizon),
                Quantile = parse.GetValue(quantile),
                Partitions = parse.GetValue(partitions),
                NodeCapacity = parse.GetValue(capacity),
                Theta = parse.GetValue(theta),
                MinGain = parse.GetValue(minGain),
                PlanEvery = parse.GetValue(planEvery),
                DetectAnomalies = !parse.GetValue(noDetect),
                ReplanOnAnomaly = !parse.GetValue(noReplan),
                Plan = new PlanOptions { TimeMs = Math.Max(1, parse.GetValue(planTime)), Seed = parse.GetValue(seed), AdviseScaling = false },
            };
            string? refused = StoreOpener.Problem(kind, parse.GetValue(nodes))
                ?? (parse.GetValue(cycles) < 0 ? $"--cycles must be 0 or more, found {parse.GetValue(cycles)}" : null)
                ?? (parse.GetValue(step) is var s && !(s >= 0.2 && s <= 3600) ? $"--step-seconds must be 0.2 to 3600, found {s}" : null)
                ?? (parse.GetValue(planEvery) < 1 ? $"--plan-every must be 1 or more steps, found {parse.GetValue(planEvery)}" : null)
                ?? (!(from is >= 0 and <= 1) || !(to is >= 0 and <= 1) ? $"--ramp-from and --ramp-to are shares in [0, 1], found {from} and {to}" : null)
                ?? (parse.GetValue(keys) < 1 ? $"--keys must be at least 1, found {parse.GetValue(keys)}" : null)
                ?? (!(rateValue > 0) || !double.IsFinite(rateValue) ? $"--rate must be a positive number, found {rateValue}" : null)
                ?? (mode != "none" && !StoreOpener.Starts(kind) ? "--workload writes its own keys and is for a store Shardcast starts; a cluster attached by address is observed as its own clients load it" : null)
                ?? (parse.GetValue(chart) is { } c && OutputFile.Problem(c, "--chart") is { } unwritable ? unwritable : null)
                ?? CommandGuard.ValidationProblem(control.Validate);
            if (refused is not null)
            {
                error.WriteLine($"error: {refused}");
                return ExitCodes.BadInput;
            }

            var request = new Request(kind, parse.GetValue(nodes), parse.GetValue(cycles) is > 0 and var n ? n : null, control, mode,
                new WorkloadOptions { Keys = parse.GetValue(keys), OperationsPerSecond = rateValue, Seed = parse.GetValue(seed), HotOperationShare = from, HotLastSlot = Math.Max(0, (16384 / parse.GetValue(nodes) / 2) - 1) },
                from, to, parse.GetValue(journal), parse.GetValue(json), parse.GetValue(chart));
            return CommandGuard.Run(
                error,
                () => CommandGuard.Interruptible(token => RunAsync(request, output, error, token).GetAwaiter().GetResult()),
                e => e is FormatException or ClusterFileException ? e.Message : null);
        });
        return command;
    }

    internal sealed record Request(string Store, int Nodes, int? Cycles, ControlOptions Control, string Workload, WorkloadOptions WorkloadOptions, double RampFrom, double RampTo, string? Journal, bool Json, string? Chart);

    private static async Task<int> RunAsync(Request request, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var (defaultJournal, temporary) = StoreOpener.JournalFor(request.Store, StoreOpener.DefaultStateDirectory());
        string journalPath = request.Journal ?? defaultJournal;
        error.WriteLine(StoreOpener.Starts(request.Store) ? $"starting {request.Nodes} {request.Store} nodes" : $"attaching to {request.Store}");
        await using var managed = await StoreOpener.OpenAsync(request.Store, request.Nodes, journalPath, cancellation).ConfigureAwait(false);
        var reports = new List<CycleReport>();
        var finishedExecutions = new List<ExecutionReport>();
        try
        {
            await using var workload = request.Workload != "none" ? new StoreWorkload(managed.Client, request.WorkloadOptions) : null;
            if (workload is not null)
            {
                error.WriteLine($"writing {request.WorkloadOptions.Keys:N0} keys");
                await workload.PreloadAsync(cancellation: cancellation).ConfigureAwait(false);
                workload.Start();
                error.WriteLine(string.Create(C, $"workload: {request.WorkloadOptions.OperationsPerSecond:N0} ops/s, {request.RampFrom:P0} of them on slots {request.WorkloadOptions.HotFirstSlot}-{request.WorkloadOptions.HotLastSlot}{(request.Workload == "ramp" ? $", rising to {request.RampTo:P0}" : request.Workload == "flash" ? $", jumping to {request.RampTo:P0} after cycle {FlashCycle(request.Cycles)}" : "")}"));
            }

            var loop = new ControlLoop(managed, request.Control);
            output.WriteLine(string.Create(C, $"control loop: a step every {request.Control.Step.TotalSeconds:0.#} s, {(request.Control.PlanEvery == 1 ? "planned every step" : $"planned every {request.Control.PlanEvery} steps")}{(request.Control.DetectAnomalies ? $" and at once on an anomaly in any of {request.Control.Partitions} ranges" : "")}; forecasts {request.Control.Horizon} steps ahead at q{request.Control.Quantile:0.##}, acts above {request.Control.Theta:P0} when a plan gains {request.Control.MinGain:P0}"));
            output.WriteLine($"{"cycle",5} {"t (s)",7}  {"measured utilisation per node",-32} {"forecast",9} {"planned",8}  decision");
            var shown = new Progress<CycleReport>(report =>
            {
                reports.Add(report);
                if (report.Finished is { } done)
                {
                    finishedExecutions.Add(done);
                }

                output.WriteLine(Line(report));
                if (workload is not null && request.Workload == "ramp" && request.Cycles is { } total)
                {
                    workload.HotOperationShare = request.RampFrom + ((request.RampTo - request.RampFrom) * Math.Min(1, (double)report.Cycle / total));
                }
                else if (workload is not null && request.Workload == "flash" && report.Cycle == FlashCycle(request.Cycles))
                {
                    workload.HotOperationShare = request.RampTo;
                    error.WriteLine(string.Create(C, $"flash crowd: {request.RampTo:P0} of operations on the hot region from now on"));
                }
            });
            try
            {
                await loop.RunAsync(request.Cycles, shown, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                output.WriteLine("interrupted: the cycle under way stopped");
                managed.Current.Execution?.Cancel();
            }

            if (await loop.DrainAsync().ConfigureAwait(false) is { } last)
            {
                finishedExecutions.Add(last);
                output.WriteLine(string.Create(C, $"the last plan's execution ended: {Executed(last)}"));
            }

            IReadOnlyDictionary<string, double>? final = null;
            if (!cancellation.IsCancellationRequested && loop.NodeCapacity is not null)
            {
                final = await loop.MeasureAsync(CancellationToken.None).ConfigureAwait(false);
                output.WriteLine(string.Create(C, $"after the loop, one step observed: {string.Join(" ", final.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Value:P0}"))}"));
            }

            IReadOnlyList<string> lost = [];
            if (workload is not null)
            {
                // Read back after a Ctrl+C too: an interrupted run still says whether it lost anything.
                lost = await WorkloadCheck.StopAndCheckAsync(workload, output, CancellationToken.None).ConfigureAwait(false);
            }

            if (request.Chart is { } chartPath)
            {
                string title = string.Create(C, $"shardcast run: {reports.Count} cycles of {request.Control.Step.TotalSeconds:0.#} s on {request.Nodes} {request.Store} nodes, {request.Workload} workload");
                OutputFile.Write(chartPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(LoopChart.Svg(reports, request.Control.Theta, title))));
                output.WriteLine($"chart written to {chartPath}");
            }

            var acted = reports.Where(r => r.Decision is "act" or "replanned").ToList();
            int anomalyCycles = reports.Count(r => r.Trigger == "anomaly");
            int failed = finishedExecutions.Sum(e => e.Failed.Count);
            output.WriteLine(string.Create(C, $"{reports.Count} cycles: planned {reports.Count(r => r.Trigger is not null)} ({anomalyCycles} on an anomaly), acted in {acted.Count}, {acted.Sum(r => r.Moves)} moves, {acted.Sum(r => r.Bytes) / 1e6:0.0} MB, {failed} failed; highest measured utilisation {(reports.Count == 0 ? 0 : reports.Max(r => r.Measured.Values.DefaultIfEmpty(0).Max())):P0}, at the end {(final ?? reports.LastOrDefault()?.Measured)?.Values.DefaultIfEmpty(0).Max() ?? 0:P0}"));
            if (request.Json)
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["cycles"] = reports.Count,
                    ["acted"] = acted.Count,
                    ["anomaly_cycles"] = anomalyCycles,
                    ["anomalies"] = reports.Sum(r => r.Anomalies.Count),
                    ["moves"] = acted.Sum(r => r.Moves),
                    ["bytes_moved"] = Math.Round(acted.Sum(r => r.Bytes)),
                    ["failed_moves"] = failed,
                    ["node_capacity"] = loop.NodeCapacity,
                    ["lost_writes"] = lost.Count,
                    ["final_measured"] = final?.ToDictionary(m => m.Key, m => Math.Round(m.Value, 4)),
                    ["cycle_reports"] = reports.Select(r => new Dictionary<string, object?>
                    {
                        ["cycle"] = r.Cycle,
                        ["t"] = Math.Round(r.At.TotalSeconds, 2),
                        ["measured"] = r.Measured.ToDictionary(m => m.Key, m => Math.Round(m.Value, 4)),
                        ["forecast_peak"] = double.IsNaN(r.ForecastPeak) ? null : Math.Round(r.ForecastPeak, 4),
                        ["planned_peak"] = double.IsNaN(r.PlannedPeak) ? null : Math.Round(r.PlannedPeak, 4),
                        ["decision"] = r.Decision,
                        ["trigger"] = r.Trigger,
                        ["anomalies"] = r.Anomalies.Select(a => new Dictionary<string, object?>
                        {
                            ["partition"] = a.Partition,
                            ["ops_per_second"] = Math.Round(a.OperationsPerSecond, 1),
                            ["score"] = Math.Round(a.Score, 6),
                            ["z"] = Math.Round(a.Z, 2),
                            ["severity"] = a.Severity.Name(),
                        }).ToList(),
                        ["problem"] = r.Problem,
                        ["moves"] = r.Moves,
                        ["partitions"] = r.Partitions,
                        ["plan_ms"] = Math.Round(r.PlanTime.TotalMilliseconds, 1),
                    }).ToList(),
                }));
            }

            return lost.Count > 0 || failed > 0 ? ExitCodes.InternalError : ExitCodes.Ok;
        }
        finally
        {
            if (request.Journal is null && temporary)
            {
                File.Delete(journalPath);
            }
        }
    }

    private static string Line(CycleReport r)
    {
        string nodes = string.Join(" ", r.Measured.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => string.Create(C, $"{m.Value,5:P0}")));
        string decision = r.Decision switch
        {
            "act" => string.Create(C, $"act: {r.Moves} moves, {r.Bytes / 1e6:0.0} MB"),
            "replanned" => string.Create(C, $"replan: the execution's moves not started replaced by {r.Moves} moves, {r.Bytes / 1e6:0.0} MB"),
            "executing" => "hold: the last plan is being carried out",
            "unobserved" => $"hold: the store could not be observed ({r.Problem})",
            "within_theta" => "hold: the forecast stays within theta",
            "small_gain" => "hold: the plan would gain too little",
            "observed" => "observe",
            _ => "hold: nothing to move",
        };
        string anomaly = r.Anomalies.Count == 0 ? (r.Trigger == "anomaly" ? "planned on an anomaly seen while it could not plan: " : "") : string.Create(C, $"anomaly in {r.Anomalies[0].Partition} (z {r.Anomalies[0].Z:0.0}, {r.Anomalies[0].OperationsPerSecond:N0} ops/s){(r.Anomalies.Count > 1 ? $" and {r.Anomalies.Count - 1} more" : "")}{(r.Trigger == "anomaly" ? ", planned at once" : "")}: ");
        string finished = r.Finished is { } e ? $"; the last plan ended: {Executed(e)}" : "";
        return string.Create(C, $"{r.Cycle,5} {r.At.TotalSeconds,7:0.0}  {nodes,-32} {Percent(r.ForecastPeak),9} {Percent(r.PlannedPeak),8}  {anomaly}{decision}{finished}");
    }

    /// <summary>
    /// The cycle after which a flash crowd arrives: half-way through a run of known length, but not before the 40th
    /// where the run is long enough, since the anomaly detectors give no verdict in their first 31 steps.
    /// </summary>
    private static int FlashCycle(int? cycles) => cycles is { } n ? Math.Max(Math.Max(1, n / 2), Math.Min(40, n - 1)) : 40;

    private static string Percent(double value) => double.IsNaN(value) ? "-" : string.Create(C, $"{value:P0}");

    private static string Executed(ExecutionReport e) =>
        string.Create(C, $"{e.Done.Count} moves done, {e.Progress.SlotsMoved} slots in {e.Elapsed.TotalSeconds:0.0} s{(e.Failed.Count > 0 ? $", {e.Failed.Count} failed" : "")}{(e.Cancelled ? ", cancelled" : "")}");
}
