using System.Collections.Concurrent;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Execution;

/// <summary>
/// Plans of several partition moves carried out on a 3-node embedded Garnet cluster while writers write to every
/// slot moved: waves in order within the concurrency limits, a cancel or a failure mid-range taking the range back
/// whole, pause and resume, and a new plan reconciled with the moves in flight. Every acknowledged write reads back.
/// </summary>
public sealed class PlanExecutionTests : IAsyncLifetime
{
    private const int KeysPerSlot = 12;
    private EmbeddedGarnetCluster _cluster = null!;
    private SlotMap _map = null!;
    private readonly SlotGate _gate = new();
    private GatedClient _client = null!;
    private readonly ConcurrentDictionary<string, string> _acknowledged = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopWriters = new();
    private readonly List<Task> _writers = [];

    // Node(0) owns 0-5460, Node(1) 5461-10921, Node(2) 10922-16383.
    private static readonly SlotRange A = new(0, 5);
    private static readonly SlotRange B = new(6, 11);
    private static readonly SlotRange C = new(5461, 5466);
    private static readonly SlotRange D = new(12, 17);

    public async Task InitializeAsync()
    {
        _cluster = await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 3 });
        _map = await _cluster.Store.ReadSlotMapAsync();
        _client = new GatedClient(_cluster.Store.Data.GetDatabase(), _gate);
        foreach (string key in Keys())
        {
            await _client.SetAsync(key, "v0");
            _acknowledged[key] = "v0";
        }
    }

    public async Task DisposeAsync()
    {
        await _stopWriters.CancelAsync();
        await Task.WhenAll(_writers);
        _stopWriters.Dispose();
        await _cluster.DisposeAsync();
    }

    /// <summary>The node that owns the i-th third of the slots.</summary>
    private string Node(int i) => _map.Owner(i * 5461)!.Id;

    private static IEnumerable<string> Keys() =>
        new[] { A, B, C, D }.SelectMany(r => Enumerable.Range(r.First, r.Count))
            .SelectMany(slot => Enumerable.Range(0, KeysPerSlot).Select(k => $"{{{HashSlots.TagFor(slot, "p")}}}:{k}"));

    /// <summary>Writers that each own a share of the keys, so a key's last acknowledged value is well defined.</summary>
    private void StartWriters(int count = 3)
    {
        var keys = Keys().ToArray();
        for (int w = 0; w < count; w++)
        {
            int writer = w;
            _writers.Add(Task.Run(async () =>
            {
                var random = new Random(writer);
                for (int n = 1; !_stopWriters.IsCancellationRequested; n++)
                {
                    string key = keys[(random.Next(keys.Length / count) * count) + writer];
                    string value = $"w{writer}-{n}";
                    await _client.SetAsync(key, value, CancellationToken.None);
                    _acknowledged[key] = value;
                }
            }));
        }
    }

    private async Task AssertNothingLostAsync()
    {
        await _stopWriters.CancelAsync();
        await Task.WhenAll(_writers);
        var lost = new List<string>();
        foreach (var (key, value) in _acknowledged)
        {
            string? read = await _client.GetAsync(key);
            if (read != value)
            {
                lost.Add($"{key}: acknowledged {value}, read {read ?? "nothing"}");
            }
        }

        Assert.True(lost.Count == 0, $"{lost.Count} of {_acknowledged.Count} acknowledged writes lost: {string.Join("; ", lost.Take(5))}");
        foreach (var node in _cluster.EndPoints)
        {
            Assert.Empty((await _cluster.Store.ReadSlotMapAsync(node)).InTransit);
        }
    }

    private async Task AssertOwnerAsync(SlotRange range, string node)
    {
        var map = await _cluster.Store.ReadSlotMapAsync();
        for (int slot = range.First; slot <= range.Last; slot++)
        {
            Assert.Equal(node[..8], map.Owner(slot)!.Id[..8]);
        }
    }

    private PlanExecution Execution(MigrationPlan plan, ExecutorOptions? options = null, Func<MoveStep, int, Task>? hook = null) =>
        new(_cluster.Store, _gate, plan, options, new MoveJournal(Path.Combine(Path.GetTempPath(), $"shardcast-exec-{Guid.NewGuid():N}.journal"))) { BeforeStep = hook };

    /// <summary>The execution's report; one that does not end within 90 s fails with its events, to see where it stopped.</summary>
    private static async Task<ExecutionReport> EndOf(PlanExecution execution)
    {
        try
        {
            return await execution.Completion.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the execution did not end within 90 s ({execution.Progress}):\n{string.Join("\n", execution.EventsAfter(0).TakeLast(30))}");
            throw;
        }
    }

    [Fact]
    public async Task Waves_run_in_order_with_moves_in_parallel_within_the_limits_and_lose_no_write()
    {
        var plan = new MigrationPlan(
        [
            new RangeMove("a", A, Node(0), Node(1), 600, 0),
            new RangeMove("b", B, Node(0), Node(2), 600, 0),
            new RangeMove("c", C, Node(1), Node(2), 600, 0),
            new RangeMove("d", D, Node(0), Node(1), 600, 1),
        ]);
        StartWriters();
        var execution = Execution(plan, new ExecutorOptions { MaxConcurrentMoves = 3, MaxMovesPerNode = 2 }).Start();
        var report = await EndOf(execution);

        Assert.True(report.Failed.Count == 0, string.Join("; ", report.Failed.Select(f => $"{f.Move}: {f.Reason}")));
        Assert.True(report.Done.Count == 4, string.Join("\n", execution.EventsAfter(0)));
        Assert.Equal(24, report.Progress.SlotsMoved);
        Assert.True(report.PeakRunning >= 2, $"at most {report.PeakRunning} moves ran at once");
        Assert.True(report.PeakPerNode <= 2, $"a node took part in {report.PeakPerNode} moves at once");
        var events = execution.EventsAfter(0);
        long lastWaveZeroDone = events.Where(e => e.Kind == ExecutionEventKinds.MoveDone && e.Partition != "d").Max(e => e.Sequence);
        long waveOneStarted = events.Single(e => e.Kind == ExecutionEventKinds.MoveStarted && e.Partition == "d").Sequence;
        Assert.True(waveOneStarted > lastWaveZeroDone, "wave 1 started before wave 0 ended");
        Assert.Equal(24, events.Count(e => e.Kind == ExecutionEventKinds.SlotMoved));
        await AssertOwnerAsync(A, Node(1));
        await AssertOwnerAsync(B, Node(2));
        await AssertOwnerAsync(C, Node(2));
        await AssertOwnerAsync(D, Node(1));
        await AssertNothingLostAsync();
    }

    [Fact]
    public async Task A_cancel_mid_range_takes_the_moved_slots_back_so_the_partition_stays_whole()
    {
        PlanExecution? execution = null;
        StartWriters();
        execution = Execution(
            new MigrationPlan([new RangeMove("a", A, Node(0), Node(1), 600, 0), new RangeMove("d", D, Node(0), Node(2), 600, 1)]),
            hook: (step, slot) =>
            {
                if (slot == A.First + 3 && step == MoveStep.Copy)
                {
                    execution!.Cancel();
                }

                return Task.CompletedTask;
            }).Start();
        var report = await EndOf(execution);

        Assert.True(report.Cancelled);
        Assert.Empty(report.Done);
        Assert.Equal("a", Assert.Single(report.Failed).Move.Partition);
        Assert.Equal(0, report.Progress.SlotsMoved);
        Assert.Contains(execution.EventsAfter(0), e => e.Kind == ExecutionEventKinds.MoveRolledBack && e.Detail == "3 slots taken back");
        Assert.DoesNotContain(execution.EventsAfter(0), e => e.Kind == ExecutionEventKinds.MoveStarted && e.Partition == "d");
        await AssertOwnerAsync(A, Node(0));
        await AssertOwnerAsync(D, Node(0));
        await AssertNothingLostAsync();
    }

    [Fact]
    public async Task A_failure_mid_range_rolls_that_range_back_and_the_other_moves_go_on()
    {
        StartWriters();
        var execution = Execution(
            new MigrationPlan([new RangeMove("a", A, Node(0), Node(1), 600, 0), new RangeMove("c", C, Node(1), Node(2), 600, 0)]),
            new ExecutorOptions { MaxConcurrentMoves = 1 },
            hook: (step, slot) => slot == A.First + 2 && step == MoveStep.Verify ? throw new InvalidDataException("injected checksum mismatch") : Task.CompletedTask).Start();
        var report = await EndOf(execution);

        Assert.False(report.Cancelled);
        var (move, reason) = Assert.Single(report.Failed);
        Assert.Equal("a", move.Partition);
        Assert.Contains("injected checksum mismatch", reason, StringComparison.Ordinal);
        Assert.Equal("c", Assert.Single(report.Done).Partition);
        await AssertOwnerAsync(A, Node(0));
        await AssertOwnerAsync(C, Node(2));
        await AssertNothingLostAsync();
    }

    [Fact]
    public async Task Pause_lets_the_slot_in_flight_finish_and_starts_no_more_until_resumed()
    {
        PlanExecution? execution = null;
        StartWriters();
        execution = Execution(
            new MigrationPlan([new RangeMove("a", A, Node(0), Node(1), 600, 0)]),
            hook: (step, slot) =>
            {
                if (slot == A.First + 1 && step == MoveStep.Prepare)
                {
                    execution!.Pause();
                }

                return Task.CompletedTask;
            }).Start();

        await Eventually.UntilAsync(() => execution.Progress is { State: ExecutionState.Paused, SlotsMoved: 2 }, "the slot in flight finishes under pause");
        await Task.Delay(500);
        Assert.Equal(2, execution.Progress.SlotsMoved);
        Assert.False(execution.Completion.IsCompleted);
        Assert.True(execution.Resume());
        var report = await EndOf(execution);

        Assert.Equal("a", Assert.Single(report.Done).Partition);
        Assert.Equal(A.Count, report.Progress.SlotsMoved);
        await AssertOwnerAsync(A, Node(1));
        await AssertNothingLostAsync();
    }

    [Fact]
    public async Task A_new_plan_replaces_the_moves_not_started_and_waits_for_the_one_in_flight()
    {
        PlanExecution? execution = null;
        var paused = new TaskCompletionSource();
        StartWriters();
        execution = Execution(
            new MigrationPlan([new RangeMove("a", A, Node(0), Node(1), 600, 0), new RangeMove("b", B, Node(0), Node(1), 600, 1)]),
            hook: (step, slot) =>
            {
                // Only the first time: the replanned move of a passes the same slot again.
                if (slot == A.First + 1 && step == MoveStep.Prepare && !paused.Task.IsCompleted && execution!.Pause())
                {
                    paused.TrySetResult();
                }

                return Task.CompletedTask;
            }).Start();
        await paused.Task;

        // a goes on to node 2 once its move to node 1 ends; b is no longer wanted; d is new.
        execution.Replace(new MigrationPlan([new RangeMove("a", A, Node(0), Node(2), 600, 0), new RangeMove("d", D, Node(0), Node(2), 600, 0)]));
        execution.Resume();
        var report = await EndOf(execution);

        Assert.True(report.Failed.Count == 0, string.Join("; ", report.Failed.Select(f => $"{f.Move}: {f.Reason}")));
        Assert.Equal(["a", "a", "d"], report.Done.Select(m => m.Partition).Order());
        Assert.Contains(execution.EventsAfter(0), e => e.Kind == ExecutionEventKinds.Replanned);
        await AssertOwnerAsync(A, Node(2));
        await AssertOwnerAsync(B, Node(0));
        await AssertOwnerAsync(D, Node(2));
        await AssertNothingLostAsync();
    }

    [Fact]
    public async Task A_move_whose_range_is_already_on_its_target_is_skipped()
    {
        var report = await Execution(new MigrationPlan([new RangeMove("c", C, Node(0), Node(1), 600, 0)])).Start().Completion.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("c", Assert.Single(report.Skipped).Partition);
        Assert.Equal(0, report.Progress.SlotsMoved);
    }
}
