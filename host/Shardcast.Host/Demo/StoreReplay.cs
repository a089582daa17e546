using System.Diagnostics;
using System.Globalization;
using Shardcast.Control.Simulation;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Store;
using Shardcast.DataPlane.Workload;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Demo;

/// <summary>How the store replay scales the simulated cluster down.</summary>
public sealed record StoreReplayOptions
{
    /// <summary>Garnet servers the replay starts (simulated node n maps to store node n mod this).</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Slots that stand for one simulated partition (partition i is slots i*this to i*this+this-1).</summary>
    public int SlotsPerPartition { get; init; } = 8;

    /// <summary>Keys the workload writes, nine in ten of them into the partitions' slots.</summary>
    public int Keys { get; init; } = 3_000;

    public double OperationsPerSecond { get; init; } = 1_000;

    /// <summary>Most moves of one policy carried out on the store (its first ones, in the order they started).</summary>
    public int MaxMovesPerPolicy { get; init; } = 1000;
}

/// <summary>What the store did with one policy's moves.</summary>
public sealed record StoreReplayReport(int MovesCarriedOut, int MovesSkipped, int MovesFailed, long KeysCopied, long Writes, int LostWrites, double Seconds, IReadOnlyList<string> Failures);

/// <summary>
/// The simulated day's moves carried out on a real store, scaled down: an embedded Garnet cluster where each
/// simulated partition is a short range of slots holding real keys. For each policy in turn a workload reads and
/// writes the keys while the policy's moves are carried out by the executor, in the order they started in the
/// simulation (the moves that started in one simulated step as one plan), each to store node (simulated target mod
/// the store's nodes); then every acknowledged write is read back. Lost writes are the store's own count, per policy.
/// </summary>
public sealed class StoreReplay : IAsyncDisposable
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private readonly ManagedStore _store;
    private readonly DemoScenario _scenario;
    private readonly StoreReplayOptions _options;
    private readonly TextWriter _log;
    private readonly string _journal;
    private int _policy;

    private StoreReplay(ManagedStore store, DemoScenario scenario, StoreReplayOptions options, TextWriter log, string journal)
    {
        _store = store;
        _scenario = scenario;
        _options = options;
        _log = log;
        _journal = journal;
    }

    public static async Task<StoreReplay> StartAsync(DemoScenario scenario, DemandSet demand, StoreReplayOptions options, TextWriter log, CancellationToken cancellation)
    {
        if (demand.Partitions * options.SlotsPerPartition > HashSlots.Count)
        {
            throw new ArgumentException($"{demand.Partitions} partitions of {options.SlotsPerPartition} slots do not fit in {HashSlots.Count} slots");
        }

        string journal = Path.Combine(Path.GetTempPath(), $"shardcast-demo-{Environment.ProcessId}-{Guid.NewGuid():N}.journal");
        log.WriteLine($"store: starting {options.Nodes} embedded Garnet nodes; each partition is {options.SlotsPerPartition} slots of real keys");
        var clock = Stopwatch.StartNew();
        var store = await StoreOpener.OpenAsync("garnet", options.Nodes, journal, cancellation).ConfigureAwait(false);
        log.WriteLine(string.Create(C, $"store: cluster up in {clock.Elapsed.TotalSeconds:0.0} s"));
        return new StoreReplay(store, scenario, options, log, journal);
    }

    public async Task<StoreReplayReport> ReplayAsync(PolicyRun run, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var workloadOptions = new WorkloadOptions
        {
            Keys = _options.Keys,
            OperationsPerSecond = _options.OperationsPerSecond,
            HotFirstSlot = 0,
            HotLastSlot = (_scenario.Partitions * _options.SlotsPerPartition) - 1,
            HotKeyShare = 0.9,
            HotOperationShare = 0.9,
            MinValueBytes = 64,
            MaxValueBytes = 1024,
            Seed = _scenario.Seed + (ulong)(++_policy),
        };
        await using var workload = new StoreWorkload(_store.Client, workloadOptions);
        await workload.PreloadAsync(cancellation: cancellation).ConfigureAwait(false);
        workload.Start();

        var moves = run.Moves.Where(m => m.EndTick is not null).OrderBy(m => m.StartTick).Take(_options.MaxMovesPerPolicy).ToList();
        int carried = 0, skipped = 0, failed = 0;
        long keys = 0;
        var failures = new List<string>();
        foreach (var batch in Batches(moves))
        {
            var map = await _store.Store.ReadSlotMapAsync().ConfigureAwait(false);
            var plan = new List<RangeMove>();
            foreach (var move in batch)
            {
                var range = RangeOf(move.Partition);
                var source = map.Owner(range.First)!;
                var target = map.Nodes[move.To % map.Nodes.Count];
                if (source.Id == target.Id)
                {
                    skipped++;
                    continue;
                }

                plan.Add(new RangeMove(DemandSet.PartitionName(move.Partition), range, source.Id, target.Id, move.Bytes, 0));
            }

            if (plan.Count == 0)
            {
                continue;
            }

            var (execution, _, _) = _store.Execute(new MigrationPlan(plan));
            var report = await execution.Completion.WaitAsync(cancellation).ConfigureAwait(false);
            carried += report.Done.Count;
            skipped += report.Skipped.Count;
            failed += report.Failed.Count;
            keys += report.Progress.KeysCopied;
            failures.AddRange(report.Failed.Select(f => $"{f.Move}: {f.Reason}"));
        }

        await workload.StopAsync().ConfigureAwait(false);
        var lost = await workload.CheckAsync(cancellation).ConfigureAwait(false);
        var result = new StoreReplayReport(carried, skipped, failed, keys, workload.Writes, lost.Count, clock.Elapsed.TotalSeconds, failures);
        _log.WriteLine(string.Create(C, $"store: {run.Policy,-10} {carried} of {run.Moves.Count(m => m.EndTick is not null)} moves carried out ({skipped} already there, {failed} failed), {keys:N0} keys copied, {workload.Writes:N0} writes, {lost.Count} lost, {result.Seconds:0.0} s"));
        return result;
    }

    private SlotRange RangeOf(int partition) => new(partition * _options.SlotsPerPartition, ((partition + 1) * _options.SlotsPerPartition) - 1);

    /// <summary>The moves that started in one simulated step, as one plan (a partition moved twice in a step starts a new one).</summary>
    private static IEnumerable<List<SimMoveRecord>> Batches(List<SimMoveRecord> moves)
    {
        var batch = new List<SimMoveRecord>();
        foreach (var move in moves)
        {
            if (batch.Count > 0 && (batch[0].StartTick != move.StartTick || batch.Any(m => m.Partition == move.Partition)))
            {
                yield return batch;
                batch = [];
            }

            batch.Add(move);
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync().ConfigureAwait(false);
        try
        {
            File.Delete(_journal);
        }
        catch (IOException)
        {
            // A journal left in the temp folder is harmless.
        }
    }
}
