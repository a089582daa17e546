using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Workload;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Spectre.Console;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast rebalance`: one cycle on a real store. Starts (or attaches to) the store, loads it with a workload that
/// has a hot region (started stores), observes its traffic per partition, writes the cluster file, plans (or reads a
/// plan made with `shardcast plan` from that file), carries the plan out under the workload with the executor, and
/// observes again: node load before and after as measured, and every acknowledged write read back.
/// </summary>
public static class RebalanceCommand
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var store = new Option<string>("--store") { Description = StoreOpener.Description, DefaultValueFactory = _ => "garnet" };
        var nodes = new Option<int>("--nodes") { Description = "Primaries of a store Shardcast starts.", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Partitions the slot space is cut into (each a range of slots; cut again where a node's ownership ends).", DefaultValueFactory = _ => 32 };
        var workload = new Option<string?>("--workload") { Description = "hot (clients with a hot region of slots on the first node) or none; default hot for a store Shardcast starts, none for one attached by address." };
        var keys = new Option<int>("--keys") { Description = "Keys the workload writes first.", DefaultValueFactory = _ => 20_000 };
        var rate = new Option<double>("--rate") { Description = "The workload's operations per second (0: as fast as the store answers).", DefaultValueFactory = _ => 2_000 };
        var observe = new Option<double>("--observe-seconds") { Description = "How long traffic is observed before planning, and again after the moves.", DefaultValueFactory = _ => 3 };
        var capacity = new Option<double?>("--node-capacity") { Description = "Each node's capacity in the planned resource (ops/s, or bytes where no traffic is counted); default: the mean node's load / 0.8." };
        var timeMs = new Option<int>("--time-ms") { Description = "The planner's search time.", DefaultValueFactory = _ => 1_000 };
        var algorithm = new Option<string?>("--algorithm") { Description = "anneal, genetic, greedy or genetic-anneal (default: the planner's)." };
        var planFile = new Option<FileInfo?>("--plan") { Description = "Carry out this plan file (made by `shardcast plan` from a --cluster-out file of this store) instead of planning." };
        var clusterOut = new Option<string?>("--cluster-out") { Description = "Write the observed store as a cluster file here (for `shardcast plan`)." };
        var planOut = new Option<string?>("--plan-out") { Description = "Write the plan carried out here." };
        var concurrency = new Option<int>("--concurrency") { Description = "Partition moves at once, over the cluster.", DefaultValueFactory = _ => 4 };
        var perNode = new Option<int>("--per-node") { Description = "Moves a node takes part in at once.", DefaultValueFactory = _ => 2 };
        var throttle = new Option<double>("--throttle-mbps") { Description = "The plan's bytes moved per second at most, in MB/s (0: no limit).", DefaultValueFactory = _ => 0 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Observe and plan; move nothing." };
        var journal = new Option<string?>("--journal") { Description = "The move journal (recovered from at start); default: a file in the state folder for a store attached by address, a temporary one for a store Shardcast starts." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the workload and the planner.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "End with one line of JSON with the figures." };
        algorithm.AcceptOnlyFromAmong("anneal", "genetic", "greedy", "genetic-anneal");
        workload.AcceptOnlyFromAmong("hot", "none");
        var command = new Command("rebalance", "Observe a store under load, plan, carry the plan out with the executor, and observe again.")
        {
            store, nodes, partitions, workload, keys, rate, observe, capacity, timeMs, algorithm, planFile, clusterOut, planOut, concurrency, perNode, throttle, dryRun, journal, seed, json,
        };
        command.SetAction(parse =>
        {
            string kind = parse.GetValue(store)!;
            int nodeCount = parse.GetValue(nodes), partitionCount = parse.GetValue(partitions), keyCount = parse.GetValue(keys);
            double seconds = parse.GetValue(observe), rateValue = parse.GetValue(rate), mbps = parse.GetValue(throttle);
            string? refused =
                StoreOpener.Problem(kind, nodeCount) ??
                (partitionCount is < 1 or > 16384 ? $"--partitions must be 1 to 16384, found {partitionCount}" :
                keyCount < 1 ? $"--keys must be at least 1, found {keyCount}" :
                !double.IsFinite(rateValue) || rateValue < 0 ? $"--rate must be a number >= 0, found {rateValue}" :
                !double.IsFinite(seconds) || seconds is < 0.1 or > 3600 ? $"--observe-seconds must be 0.1 to 3600, found {seconds}" :
                parse.GetValue(capacity) is { } cap && (!double.IsFinite(cap) || cap <= 0) ? $"--node-capacity must be a positive number, found {cap}" :
                parse.GetValue(timeMs) < 1 ? $"--time-ms must be positive, found {parse.GetValue(timeMs)}" :
                parse.GetValue(concurrency) < 1 ? $"--concurrency must be at least 1, found {parse.GetValue(concurrency)}" :
                parse.GetValue(perNode) < 1 ? $"--per-node must be at least 1, found {parse.GetValue(perNode)}" :
                !double.IsFinite(mbps) || mbps < 0 ? $"--throttle-mbps must be a number >= 0, found {mbps}" :
                parse.GetValue(planFile) is { Exists: false } missing ? $"--plan {missing.FullName}: no such file" :
                parse.GetValue(workload) == "hot" && !StoreOpener.Starts(kind) ? "--workload hot writes its own keys and is for a store Shardcast starts; a cluster attached by address is observed as it is" :
                parse.GetValue(clusterOut) is { } co && OutputFile.Problem(co, "--cluster-out") is { } p1 ? p1 :
                parse.GetValue(planOut) is { } po && OutputFile.Problem(po, "--plan-out") is { } p2 ? p2 :
                null);
            if (refused is not null)
            {
                error.WriteLine($"error: {refused}");
                return ExitCodes.BadInput;
            }

            var request = new Request(
                kind, nodeCount, partitionCount,
                (parse.GetValue(workload) ?? (StoreOpener.Starts(kind) ? "hot" : "none")) == "hot",
                new WorkloadOptions { Keys = keyCount, OperationsPerSecond = rateValue, Seed = parse.GetValue(seed), HotLastSlot = Math.Max(0, (16384 / nodeCount / 2) - 1) },
                TimeSpan.FromSeconds(seconds),
                parse.GetValue(capacity),
                new PlanOptions { TimeMs = parse.GetValue(timeMs), Seed = parse.GetValue(seed), Algorithm = parse.GetValue(algorithm) is { } a ? Planner.ParseAlgorithm(a) : null, AdviseScaling = false },
                parse.GetValue(planFile)?.FullName,
                parse.GetValue(clusterOut),
                parse.GetValue(planOut),
                new ExecutorOptions { MaxConcurrentMoves = parse.GetValue(concurrency), MaxMovesPerNode = parse.GetValue(perNode), BytesPerSecond = mbps * 1e6 },
                parse.GetValue(dryRun),
                parse.GetValue(journal),
                parse.GetValue(json));
            return CommandGuard.Run(
                error,
                () => CommandGuard.Interruptible(token => RunAsync(request, output, error, token).GetAwaiter().GetResult()),
                e => e is FormatException or ClusterFileException ? e.Message : null);
        });
        return command;
    }

    internal sealed record Request(
        string Store, int Nodes, int Partitions, bool Workload, WorkloadOptions WorkloadOptions, TimeSpan Observe, double? NodeCapacity,
        PlanOptions PlanOptions, string? PlanFile, string? ClusterOut, string? PlanOut, ExecutorOptions Executor, bool DryRun, string? Journal, bool Json);

    private static async Task<int> RunAsync(Request request, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        void Say(string line) => error.WriteLine(string.Create(C, $"[{clock.Elapsed.TotalSeconds,6:0.0}s] {line}"));
        var (defaultJournal, temporary) = StoreOpener.JournalFor(request.Store, StoreOpener.DefaultStateDirectory());
        bool temporaryJournal = request.Journal is null && temporary;
        string journalPath = request.Journal ?? defaultJournal;
        Say(StoreOpener.Starts(request.Store) ? $"starting {request.Nodes} {request.Store} nodes" : $"attaching to {request.Store}");
        await using var managed = await StoreOpener.OpenAsync(request.Store, request.Nodes, journalPath, cancellation).ConfigureAwait(false);
        try
        {
            if (managed.Recovered.Finished.Count + managed.Recovered.RolledBack.Count + managed.Recovered.Stabilised.Count > 0)
            {
                Say($"recovered from the journal: {managed.Recovered.Finished.Count} moves finished, {managed.Recovered.RolledBack.Count} rolled back, {managed.Recovered.Stabilised.Count} slots made stable");
            }

            await using var workload = request.Workload ? new StoreWorkload(managed.Client, request.WorkloadOptions) : null;
            if (workload is not null)
            {
                Say($"writing {request.WorkloadOptions.Keys:N0} keys");
                await workload.PreloadAsync(cancellation: cancellation).ConfigureAwait(false);
                workload.Start();
                Say($"workload running: {request.WorkloadOptions.OperationsPerSecond:N0} ops/s, {request.WorkloadOptions.HotOperationShare:P0} of them on slots {request.WorkloadOptions.HotFirstSlot}-{request.WorkloadOptions.HotLastSlot}");
            }

            var before = await ObserveAsync(managed, request, Say, cancellation).ConfigureAwait(false);
            double capacity = request.NodeCapacity ?? StoreClusterFile.DefaultCapacity(before);
            byte[] clusterFile = StoreClusterFile.ToUtf8(before, capacity);
            if (request.ClusterOut is { } clusterOut)
            {
                OutputFile.Write(clusterOut, s => s.Write(clusterFile));
                Say($"cluster file written to {clusterOut}");
            }

            string resource = StoreClusterFile.Resource(before);
            PrintNodes(output, "before", before, resource, capacity);

            MigrationPlan migration;
            Plan? plan = null;
            if (request.PlanFile is { } planPath)
            {
                migration = StorePlan.FromPlanFile(await File.ReadAllBytesAsync(planPath, cancellation).ConfigureAwait(false), before.Map);
                output.WriteLine(string.Create(C, $"plan from {planPath}: {migration.Moves.Count} moves, {Bytes(migration.Bytes)}"));
            }
            else
            {
                plan = Planner.Plan(ClusterFileReader.Parse(clusterFile), request.PlanOptions, cancellation);
                migration = StorePlan.From(plan.Moves, before.Map);
                output.WriteLine(string.Create(C, $"plan: {plan.Moves.Count} moves, {Bytes(migration.Bytes)}, {migration.Moves.Select(m => m.Wave).Distinct().Count()} waves; planned peak {plan.Before.PeakUtilisation:P0} -> {plan.After.PeakUtilisation:P0} ({plan.Search.Backend} {PlanFileWriter.AlgorithmName(plan.Search.Algorithm)}, {plan.Elapsed.TotalMilliseconds:0} ms)"));
                if (request.PlanOut is { } planOut)
                {
                    OutputFile.Write(planOut, s => PlanFileWriter.Write(plan, s));
                }
            }

            ExecutionReport? report = null;
            SnapshotSummary? after = null;
            if (!request.DryRun && migration.Moves.Count > 0)
            {
                report = await ExecuteAsync(managed, migration, request.Executor, error, Say, cancellation).ConfigureAwait(false);
                output.WriteLine(string.Create(C, $"executed: {report.Done.Count} moves done, {report.Skipped.Count} skipped, {report.Failed.Count} failed; {report.Progress.SlotsMoved:N0} slots and {report.Progress.KeysCopied:N0} keys in {report.Elapsed.TotalSeconds:0.0} s ({Bytes(report.Progress.BytesDone / Math.Max(0.001, report.Elapsed.TotalSeconds))}/s of the plan's bytes; at most {report.PeakRunning} moves at once)"));
                foreach (var (move, reason) in report.Failed)
                {
                    output.WriteLine($"  failed: {move}: {reason}");
                }

                foreach (string warning in report.Warnings.Take(10))
                {
                    output.WriteLine($"  warning: {warning}");
                }

                managed.Traffic.Take();
                var observedAfter = await ObserveAsync(managed, request, Say, cancellation).ConfigureAwait(false);
                PrintNodes(output, "after", observedAfter, resource, capacity);
                after = Summarise(observedAfter, resource, capacity);
            }
            else
            {
                output.WriteLine(request.DryRun ? "dry run: nothing moved" : "nothing to move");
            }

            IReadOnlyList<string> lost = [];
            if (workload is not null)
            {
                lost = await WorkloadCheck.StopAndCheckAsync(workload, output, cancellation).ConfigureAwait(false);
            }

            var summaryBefore = Summarise(before, resource, capacity);
            if (request.Json)
            {
                output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["store"] = request.Store,
                    ["nodes"] = before.Map.Nodes.Count,
                    ["partitions"] = before.Partitions.Count,
                    ["keys"] = before.Partitions.Sum(p => p.Keys),
                    ["resource"] = resource,
                    ["node_capacity"] = Math.Round(capacity, 3),
                    ["peak_before"] = Math.Round(summaryBefore.Peak, 4),
                    ["planned_peak_after"] = plan is null ? null : Math.Round(plan.After.PeakUtilisation, 4),
                    ["peak_after"] = after is null ? null : Math.Round(after.Peak, 4),
                    ["load_before"] = Math.Round(summaryBefore.Total, 1),
                    ["load_after"] = after is null ? null : Math.Round(after.Total, 1),
                    ["hottest_share_before"] = Math.Round(summaryBefore.HottestShare, 4),
                    ["hottest_share_after"] = after is null ? null : Math.Round(after.HottestShare, 4),
                    ["moves"] = migration.Moves.Count,
                    ["planned_bytes"] = Math.Round(migration.Bytes),
                    ["moves_done"] = report?.Done.Count ?? 0,
                    ["moves_failed"] = report?.Failed.Count ?? 0,
                    ["slots_moved"] = report?.Progress.SlotsMoved ?? 0,
                    ["keys_copied"] = report?.Progress.KeysCopied ?? 0,
                    ["execution_seconds"] = report is null ? 0 : Math.Round(report.Elapsed.TotalSeconds, 2),
                    ["writes"] = workload?.Writes ?? 0,
                    ["reads"] = workload?.Reads ?? 0,
                    ["refused"] = workload?.Refused ?? 0,
                    ["lost_writes"] = lost.Count,
                }));
            }

            return lost.Count > 0 || report is { Failed.Count: > 0 } ? ExitCodes.InternalError : ExitCodes.Ok;
        }
        finally
        {
            if (temporaryJournal)
            {
                File.Delete(journalPath);
            }
        }
    }

    private static async Task<StoreSnapshot> ObserveAsync(ManagedStore managed, Request request, Action<string> say, CancellationToken cancellation)
    {
        say($"observing traffic for {request.Observe.TotalSeconds:0.#} s");
        managed.Traffic.Take();
        await Task.Delay(request.Observe, cancellation).ConfigureAwait(false);
        var snapshot = await managed.SnapshotAsync(request.Partitions, cancellation).ConfigureAwait(false);
        say($"observed {snapshot}");
        return snapshot;
    }

    private static async Task<ExecutionReport> ExecuteAsync(ManagedStore managed, MigrationPlan plan, ExecutorOptions options, TextWriter error, Action<string> say, CancellationToken cancellation)
    {
        var (execution, _, _) = managed.Execute(plan, options);
        using var cancel = cancellation.Register(() => execution.Cancel());
        int slots = plan.Moves.Sum(m => m.Range.Count);
        if (ErrorConsole.IsLive(error))
        {
            await ErrorConsole.Create().Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("moving slots", maxValue: Math.Max(1, slots));
                    while (!execution.Completion.IsCompleted)
                    {
                        var p = execution.Progress;
                        task.Value = p.SlotsMoved;
                        task.Description = string.Create(C, $"wave {p.Wave}: {p.MovesDone}/{p.MovesTotal} moves, {p.MovesRunning} running");
                        await Task.WhenAny(execution.Completion, Task.Delay(200, CancellationToken.None)).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
        }
        else
        {
            execution.Happened += e =>
            {
                if (e.Kind is ExecutionEventKinds.WaveStarted or ExecutionEventKinds.MoveDone or ExecutionEventKinds.MoveFailed or ExecutionEventKinds.MoveRolledBack or ExecutionEventKinds.Cancelling)
                {
                    say($"{e.Kind.Replace('_', ' ')}{(e.Partition is null ? "" : $" {e.Partition}")}{(e.Detail is null ? "" : $": {e.Detail}")}");
                }
            };
        }

        return await execution.Completion.ConfigureAwait(false);
    }

    /// <param name="Peak">The hottest node's utilisation.</param>
    /// <param name="Total">The load measured over all nodes.</param>
    /// <param name="HottestShare">The hottest node's share of that total: how even the load is, whatever the window carried (a busy machine's clients fall behind their rate, so two windows of the same workload can carry different totals).</param>
    private sealed record SnapshotSummary(double Peak, double Total, double HottestShare);

    private static SnapshotSummary Summarise(StoreSnapshot snapshot, string resource, double capacity)
    {
        var loads = snapshot.Map.Nodes.Select(n => snapshot.Partitions.Where(p => p.Partition.Owner.Id == n.Id).Sum(p => StoreClusterFile.Load(p, resource))).ToList();
        double total = loads.Sum(), hottest = loads.Max();
        return new SnapshotSummary(hottest / capacity, total, total > 0 ? hottest / total : 0);
    }

    private static void PrintNodes(TextWriter output, string when, StoreSnapshot snapshot, string resource, double capacity)
    {
        string unit = resource == "ops" ? "ops/s" : "bytes";
        output.WriteLine(string.Create(C, $"node load {when} ({unit}, capacity {capacity:N0} each):"));
        foreach (var node in snapshot.Map.Nodes.OrderBy(n => n.EndPoint.Port))
        {
            var owned = snapshot.Partitions.Where(p => p.Partition.Owner.Id == node.Id).ToList();
            double load = owned.Sum(p => StoreClusterFile.Load(p, resource));
            output.WriteLine(string.Create(C, $"  {StoreSnapshot.NodeName(node),-21} {load,12:N0}  {load / capacity,5:P0}  {owned.Count,4} partitions  {owned.Sum(p => p.Keys),8:N0} keys"));
        }
    }

    private static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => string.Create(C, $"{bytes / 1e9:0.##} GB"),
        >= 1e6 => string.Create(C, $"{bytes / 1e6:0.##} MB"),
        >= 1e3 => string.Create(C, $"{bytes / 1e3:0.#} kB"),
        _ => string.Create(C, $"{bytes:0} B"),
    };
}
