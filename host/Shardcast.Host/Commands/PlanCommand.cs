using System.CommandLine;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast plan`: reads a cluster file, plans, prints a summary and writes the plan file.</summary>
public static class PlanCommand
{
    /// <summary>Where the plan file goes when --output is not given: the summary shows the first moves, the file has them all.</summary>
    public const string DefaultOutput = "plan.json";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var input = new Option<FileInfo>("--input", "-i") { Description = "Cluster file (JSON, see docs/cluster-file.md).", Required = true };
        var outputFile = new Option<string?>("--output", "-o") { Description = $"Where to write the plan file (JSON, every move; default {DefaultOutput} in the current folder); '-' for standard output instead of the summary." };
        var timeMs = new Option<int?>("--time-ms") { Description = "Search time budget in milliseconds (default: the file's search.time_ms, else 2000)." };
        var steps = new Option<long?>("--steps") { Description = "Search steps per chain instead of a time budget: the same seed then gives the same plan on any machine." };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (default: the file's search.seed, else 1)." };
        var backend = new Option<string?>("--backend") { Description = "Search backend: auto, managed, opencl (a GPU, else PoCL on the CPU) or cuda; a device backend falls back to managed, and says why, where it cannot search (default: the file's search.backend)." };
        var algorithm = new Option<string?>("--algorithm") { Description = "anneal, genetic, greedy, or genetic-anneal (the genetic algorithm seeds the annealer) (default: the file's search.algorithm, else anneal)." };
        var targetCost = new Option<double?>("--target-cost") { Description = "Stop the search as soon as the plan's cost (plus penalties for overload and broken constraints) is at or below this." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: every core)." };
        var chains = new Option<int>("--chains") { Description = "Annealing chains (replicas at different temperatures; default: chosen from cores and problem size)." };
        var noAdvice = new Option<bool>("--no-scaling-advice") { Description = "Skip the search for how many nodes would make an infeasible plan feasible." };
        var curve = new Option<string?>("--curve") { Description = "Also plan under byte budgets and print the balance-vs-movement curve (peak, balance and cost per budget): auto, or sizes (500GB, 2.5TB, 1e12) or shares of the data (5%), comma separated. Each budget is a plan of its own time budget." };
        var noRestructure = new Option<bool>("--no-restructure") { Description = "Place the partitions as they are: no splits of hot partitions with segments, no merges of cold children (docs/cost.md)." };
        var noGuard = new Option<bool>("--no-movement-guard") { Description = "Keep the search's plan as it minimised the cost, even where it moves more bytes than the greedy rebalancer or ends with a higher peak (docs/cost.md)." };
        var emit = new Option<string>("--emit") { Description = "What --output holds: plan (the plan file, docs/plan-file.md) or kafka-reassignment (Kafka's reassignment JSON, for partitions tagged with topic and partition on nodes named by broker id).", DefaultValueFactory = _ => "plan" };
        var kafkaWindow = new Option<double>("--kafka-window-s") { Description = "With --emit kafka-reassignment: the time the reassignment should take, from which the throttle is suggested.", DefaultValueFactory = _ => 3600 };
        emit.AcceptOnlyFromAmong("plan", "kafka-reassignment");
        algorithm.AcceptOnlyFromAmong("anneal", "genetic", "greedy", "genetic-anneal");
        backend.AcceptOnlyFromAmong([.. BackendCatalog.Known]);
        var command = new Command("plan", "Plan a cluster: target assignment, ordered moves, cost before and after.")
        {
            input, outputFile, timeMs, steps, seed, backend, algorithm, targetCost, threads, chains, noAdvice, noGuard, noRestructure, curve, emit, kafkaWindow,
        };

        command.SetAction(parse =>
        {
            var file = parse.GetRequiredValue(input);
            int? time = parse.GetValue(timeMs);
            long? stepBudget = parse.GetValue(steps);
            int threadCount = parse.GetValue(threads);
            int chainCount = parse.GetValue(chains);
            string? refused =
                time is <= 0 ? $"--time-ms must be positive, found {time}" :
                stepBudget is <= 0 ? $"--steps must be positive, found {stepBudget}" :
                threadCount < 0 ? $"--threads must not be negative, found {threadCount}" :
                chainCount < 0 ? $"--chains must not be negative, found {chainCount}" :
                parse.GetValue(kafkaWindow) is var w && (!double.IsFinite(w) || w <= 0) ? $"--kafka-window-s must be a positive number of seconds, found {w}" :
                parse.GetValue(targetCost) is { } target && !double.IsFinite(target) ? $"--target-cost must be a finite number, found {target}" :
                null;
            if (refused is not null)
            {
                error.WriteLine($"error: {refused}");
                return ExitCodes.BadInput;
            }

            var options = new PlanOptions
            {
                Backend = parse.GetValue(backend),
                Algorithm = parse.GetValue(algorithm) is { } a ? Planner.ParseAlgorithm(a) : null,
                TimeMs = time,
                StepsPerChain = stepBudget,
                Seed = parse.GetValue(seed),
                Threads = threadCount,
                Chains = chainCount,
                TargetCost = parse.GetValue(targetCost),
                AdviseScaling = !parse.GetValue(noAdvice),
                MovementGuard = !parse.GetValue(noGuard),
                Restructure = !parse.GetValue(noRestructure),
            };
            string emitted = parse.GetValue(emit)!;
            return Run(file.FullName, parse.GetValue(outputFile) ?? (emitted == "plan" ? DefaultOutput : "reassignment.json"), options, output, error,
                emitted == "kafka-reassignment" ? TimeSpan.FromSeconds(parse.GetValue(kafkaWindow)) : null, parse.GetValue(curve));
        });
        return command;
    }

    /// <param name="outputPath">The plan file's path, "-" for standard output, or null to print the summary only.</param>
    /// <param name="kafkaWindow">Write Kafka's reassignment JSON instead of the plan file, with a throttle suggested for this window; null for the plan file.</param>
    /// <param name="curve">`plan --curve`: auto or the byte budgets; null for no curve.</param>
    public static int Run(string inputPath, string? outputPath, PlanOptions options, TextWriter output, TextWriter error, TimeSpan? kafkaWindow = null, string? curve = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        return CommandGuard.Run(
            error,
            () =>
            {
                if (outputPath is not null and not "-" && OutputFile.Problem(outputPath, "--output") is { } unwritable)
                {
                    error.WriteLine($"error: {unwritable}");
                    return ExitCodes.BadInput;
                }

                var spec = ClusterFileReader.ReadFile(inputPath);
                IReadOnlyList<double>? budgets = null;
                if (curve is not null)
                {
                    try
                    {
                        budgets = CurveBudgets.Parse(curve, spec.Partitions.Sum(p => p.SizeBytes));
                    }
                    catch (FormatException e)
                    {
                        error.WriteLine($"error: {e.Message}");
                        return ExitCodes.BadInput;
                    }
                }

                // Ctrl+C or SIGTERM ends the search early; the plan is still judged, sequenced and written from the best found.
                var budget = Planner.SearchOptionsFor(spec, options).TimeBudget;
                var plan = CommandGuard.Interruptible(token =>
                    SearchProgressDisplay.Run(error, budget, options.Clock, progress => Planner.Plan(spec, options with { Progress = progress }, token)));
                if (curve is not null)
                {
                    int points = (budgets?.Count ?? MovementCurve.AutoBudgets(plan.After.MovedBytes).Count) + 1;
                    var told = new Progress<int>(done => error.WriteLine($"curve: {done + 1} of {points} points planned"));
                    plan = CommandGuard.Interruptible(token => MovementCurve.Attach(plan, budgets, options, told, token));
                }

                if (kafkaWindow is { } window)
                {
                    var reassignment = KafkaReassignment.Build(plan, window);
                    if (outputPath == "-")
                    {
                        output.Write(System.Text.Encoding.UTF8.GetString(reassignment.Json));
                        output.WriteLine();
                        return ExitCodes.Ok;
                    }

                    PlanSummary.Write(plan, output);
                    OutputFile.Write(outputPath ?? "reassignment.json", stream => stream.Write(reassignment.Json));
                    output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Kafka reassignment written to {outputPath}: {reassignment.Partitions} partitions, ordered by wave; the busiest broker sends or receives {reassignment.MaxBrokerBytes / 1e6:0.#} MB"));
                    output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  kafka-reassign-partitions.sh --bootstrap-server HOST:9092 --reassignment-json-file {outputPath} --execute --throttle {Math.Max(1, reassignment.SuggestedThrottleBytesPerSecond)}   (to finish in about {window.TotalSeconds:0} s)"));
                    return ExitCodes.Ok;
                }

                if (outputPath == "-")
                {
                    output.Write(PlanFileWriter.ToJson(plan));
                    output.WriteLine();
                    return ExitCodes.Ok;
                }

                PlanSummary.Write(plan, output);
                if (outputPath is not null)
                {
                    OutputFile.Write(outputPath, stream => PlanFileWriter.Write(plan, stream));
                    output.WriteLine($"plan written to {outputPath} ({plan.Moves.Count} moves, the assignment of all {spec.Partitions.Count} partitions)");
                }

                return ExitCodes.Ok;
            },
            e => e is ClusterFileException c ? $"{inputPath}: {c.Message}" : null);
    }
}
