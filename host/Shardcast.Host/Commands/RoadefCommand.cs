using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Shardcast.Engine.Planning;
using Shardcast.Engine.Roadef;
using Shardcast.Kernels.Search.Exact;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast roadef`: solves a ROADEF/EURO 2012 machine-reassignment instance with the engine within a wall-clock
/// limit that includes reading and writing, writes the solution, and prints the exact objective by term.
/// </summary>
public static class RoadefCommand
{
    /// <summary>Time kept back from the limit for what follows the solve: writing, the report, and the process starting and exiting.</summary>
    private static TimeSpan Reserve(TimeSpan limit) => TimeSpan.FromMilliseconds(300) + (limit * 0.02);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "The challenge's model file (model_*.txt).", Required = true };
        var initial = new Option<FileInfo>("--initial", "-i") { Description = "The initial assignment (assignment_*.txt).", Required = true };
        var outputFile = new Option<FileInfo>("--output", "-o") { Description = "Where to write the solution (the challenge's format).", Required = true };
        var timeS = new Option<double>("--time-s", "-t") { Description = "Wall-clock limit in seconds, reading and writing included.", DefaultValueFactory = _ => 60 };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var backend = new Option<string?>("--backend") { Description = "Search backend: auto, managed, opencl or cuda (a device backend falls back to managed, and says why, where it cannot search)." };
        var algorithm = new Option<string?>("--algorithm") { Description = "anneal (default), genetic, greedy or genetic-anneal." };
        var lowerBound = new Option<string?>("--lb") { Description = "A lower bound: a number, or a file holding one (lb_*.txt); the gap to it is printed." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: every core)." };
        var chains = new Option<int>("--chains") { Description = "Annealing chains (default: chosen from cores and problem size)." };
        var exportCluster = new Option<FileInfo?>("--export-cluster") { Description = "Also write the instance as an engine cluster file (JSON), which `shardcast plan` reads." };
        backend.AcceptOnlyFromAmong([.. BackendCatalog.Known]);
        algorithm.AcceptOnlyFromAmong("anneal", "genetic", "greedy", "genetic-anneal");
        var command = new Command("roadef", "Solve a ROADEF/EURO 2012 machine-reassignment instance with the engine (docs/roadef.md).")
        {
            model, initial, outputFile, timeS, seed, backend, algorithm, lowerBound, threads, chains, exportCluster,
        };
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            double seconds = parse.GetValue(timeS);
            string? refused =
                !(seconds > 0) || !double.IsFinite(seconds) ? $"--time-s must be a positive number of seconds, found {seconds}" :
                parse.GetValue(threads) < 0 ? $"--threads must not be negative, found {parse.GetValue(threads)}" :
                parse.GetValue(chains) < 0 ? $"--chains must not be negative, found {parse.GetValue(chains)}" :
                OutputFile.Problem(parse.GetRequiredValue(outputFile).FullName, "--output") ??
                (parse.GetValue(exportCluster) is { } export ? OutputFile.Problem(export.FullName, "--export-cluster") : null);
            if (refused is not null)
            {
                error.WriteLine($"error: {refused}");
                return ExitCodes.BadInput;
            }

            return Run(
                parse.GetRequiredValue(model).FullName, parse.GetRequiredValue(initial).FullName, parse.GetRequiredValue(outputFile).FullName,
                TimeSpan.FromSeconds(seconds), clock, parse.GetValue(lowerBound), parse.GetValue(exportCluster)?.FullName,
                new PlanOptions
                {
                    Backend = parse.GetValue(backend),
                    Algorithm = parse.GetValue(algorithm) is { } a ? Planner.ParseAlgorithm(a) : null,
                    Seed = parse.GetValue(seed),
                    Threads = parse.GetValue(threads),
                    Chains = parse.GetValue(chains),
                },
                output,
                error);
        });
        return command;
    }

    public static int Run(
        string modelPath, string initialPath, string outputPath, TimeSpan limit, Stopwatch clock, string? lowerBound, string? exportPath, PlanOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        return WithInstance(
            modelPath,
            initialPath,
            lowerBound,
            error,
            (instance, initial, bound) =>
            {
                var readTime = clock.Elapsed;
                if (exportPath is not null)
                {
                    using var stream = File.Create(exportPath);
                    Engine.Cluster.ClusterFileWriter.Write(RoadefMapping.ToCluster(instance, initial), stream, indented: true);
                }

                var searchTime = limit - clock.Elapsed - Reserve(limit);
                if (searchTime < TimeSpan.FromMilliseconds(10))
                {
                    error.WriteLine($"error: --time-s {limit.TotalSeconds} leaves no time to search after reading the files ({clock.Elapsed.TotalSeconds:0.00} s)");
                    return ExitCodes.BadInput;
                }

                // The solve's deadline, not a search budget: mapping, building and judging at 50,000 processes
                // take seconds, and all of them count against the limit.
                long deadline = PlanOptions.DeadlineIn(searchTime, options.Clock);
                var solution = CommandGuard.Interruptible(token => SearchProgressDisplay.Run(error, searchTime, options.Clock, progress =>
                    RoadefSolver.Solve(instance, initial, options with { Deadline = deadline, Progress = progress }, token)));
                RoadefFiles.WriteSolution(outputPath, solution.Assignment);
                Report(instance, initial, solution, bound, readTime, clock.Elapsed, limit, outputPath, output);
                return ExitCodes.Ok;
            });
    }

    /// <summary>
    /// Reads the model, the initial assignment and the lower bound, then runs <paramref name="body"/> on them; a file
    /// that does not parse is bad input, reported with the file, the token and what was expected there.
    /// </summary>
    internal static int WithInstance(string modelPath, string initialPath, string? lowerBound, TextWriter error, Func<RoadefInstance, int[], long?, int> body) =>
        CommandGuard.Run(
            error,
            () =>
            {
                var instance = RoadefFiles.ReadModel(modelPath);
                var initial = RoadefFiles.ReadAssignment(initialPath, instance);
                return body(instance, initial, lowerBound is null ? null : ReadBound(lowerBound));
            },
            e => e is RoadefFormatException ? e.Message : null);

    /// <summary>A lower bound given as a number or as a file holding one (lb_*.txt).</summary>
    private static long ReadBound(string text)
    {
        string value = File.Exists(text) ? File.ReadAllText(text).Trim() : text.Trim();
        return long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long bound) && bound >= 0
            ? bound
            : throw new RoadefFormatException($"--lb: expected a non-negative integer or a file holding one, found '{value}'");
    }

    private static void Report(RoadefInstance instance, int[] initial, RoadefSolution solution, long? bound, TimeSpan readTime, TimeSpan wall, TimeSpan limit, string outputPath, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        WriteJudgement(instance, initial, solution.Assignment, solution.Initial, solution.Final, bound, output);
        if (solution.Note is { } note)
        {
            output.WriteLine($"note: {note}");
        }

        if (solution.Fallback is { } fallback)
        {
            output.WriteLine($"backend {fallback.Requested} did not search: {fallback.Reason}");
        }

        output.WriteLine($"exact node sets: {ExactNodeSets.Status}; {ExactNodeSets.Tally}");
        output.WriteLine(string.Create(c, $"backend {solution.Backend}, files read in {readTime.TotalSeconds:0.00} s, search {solution.SearchTime.TotalSeconds:0.00} s ({solution.EvaluatedMoves / Math.Max(1e-9, solution.SearchTime.TotalSeconds) / 1e6:0.0} M moves/s evaluated), wall {wall.TotalSeconds:0.00} s of {limit.TotalSeconds:0.##} s; solution written to {outputPath}"));
    }

    /// <summary>Machines named at most under the load cost above its aggregate bound.</summary>
    private const int ListedGapMachines = 10;

    /// <summary>
    /// The load cost against the bound every plan obeys: each resource's share above it, and the machines that hold
    /// it, with the capacity they have left for newcomers (transient usage held for processes that left included).
    /// </summary>
    private static void WriteLoadGap(RoadefInstance instance, RoadefLoadGapReport gap, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"load cost above its aggregate bound {gap.AggregateBound:N0}: {gap.AboveBound:N0}"));
        foreach (var r in gap.Resources.Where(r => r.Cost > 0))
        {
            string kind = instance.Resources[r.Resource].Transient ? " (transient)" : "";
            output.WriteLine(string.Create(c, $"  resource {r.Resource}{kind}: {r.Room:N0} left under safety capacity on {MachineCount(r.MachinesUnder)}, {r.Excess:N0} over it on {MachineCount(r.MachinesOver)}: {r.Cost:N0}"));
        }

        foreach (var m in gap.Machines.Take(ListedGapMachines))
        {
            bool room = gap.Resources[m.Resource].RoomBinds;
            string held = m.Held > 0 ? string.Create(c, $", {m.Held:N0} held for processes moved away") : "";
            string left = string.Join(" / ", m.CapacityLeft.Select(x => x.ToString("N0", c)));
            output.WriteLine(string.Create(c, $"    machine {m.Machine}, resource {m.Resource}: {m.Amount:N0} {(room ? "under" : "over")} safety capacity (usage {m.Usage:N0}{held}); capacity left for newcomers by resource {left}"));
        }

        if (gap.Machines.Count > ListedGapMachines)
        {
            int unlisted = gap.Machines.Count - ListedGapMachines;
            output.WriteLine(string.Create(c, $"    and {unlisted} more {(unlisted == 1 ? "machine" : "machines")}"));
        }
    }

    private static string MachineCount(int count) => count == 1 ? "1 machine" : string.Create(CultureInfo.InvariantCulture, $"{count} machines");

    /// <summary>Broken constraints listed one per line at most; the rest are counted.</summary>
    private const int ListedViolations = 20;

    /// <summary>
    /// The exact judgement of a solution against its initial assignment: the objective by term, the processes moved,
    /// feasibility (every broken constraint counted by family, the first few named), and the gap to a lower bound.
    /// </summary>
    internal static void WriteJudgement(
        RoadefInstance instance, IReadOnlyList<int> initial, IReadOnlyList<int> assignment, RoadefEvaluation before, RoadefEvaluation after, long? bound, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"instance: {instance.Processes.Length} processes, {instance.Machines.Length} machines, {instance.Resources.Length} resources, {instance.Services.Length} services"));
        output.WriteLine($"{"term",-20} {"initial",16} {"solution",16}");
        foreach (var (name, was, now) in new[]
        {
            ("load cost", before.LoadCost, after.LoadCost),
            ("balance cost", before.BalanceCost, after.BalanceCost),
            ("process move cost", before.ProcessMoveCost, after.ProcessMoveCost),
            ("service move cost", before.ServiceMoveCost, after.ServiceMoveCost),
            ("machine move cost", before.MachineMoveCost, after.MachineMoveCost),
            ("objective", before.Objective, after.Objective),
        })
        {
            output.WriteLine(string.Create(c, $"{name,-20} {was,16:N0} {now,16:N0}"));
        }

        int moved = assignment.Where((m, p) => m != initial[p]).Count();
        output.WriteLine(string.Create(c, $"processes moved: {moved}"));
        WriteLoadGap(instance, RoadefLoadGap.Analyze(instance, initial, assignment), output);
        if (after.Feasible)
        {
            output.WriteLine("feasible: yes");
        }
        else
        {
            var families = after.Violations.GroupBy(v => v.Family).Select(g => string.Create(c, $"{g.Key.ToString().ToLowerInvariant()} {g.Count()}"));
            output.WriteLine(string.Create(c, $"feasible: no ({after.Violations.Count} broken: {string.Join(", ", families)})"));
            foreach (var violation in after.Violations.Take(ListedViolations))
            {
                output.WriteLine($"  {violation.Family.ToString().ToLowerInvariant()}: {violation.Detail}");
            }

            if (after.Violations.Count > ListedViolations)
            {
                output.WriteLine(string.Create(c, $"  and {after.Violations.Count - ListedViolations} more"));
            }
        }

        if (bound is { } lb)
        {
            output.WriteLine(lb > 0
                ? string.Create(c, $"gap to lower bound {lb:N0}: {100.0 * (after.Objective - lb) / lb:0.000} %")
                : string.Create(c, $"lower bound {lb}: gap {after.Objective:N0} (absolute)"));
        }
    }
}
