using System.Collections.Concurrent;
using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Migration;

/// <summary>
/// One slot moved while writers write to it (existing keys and new ones): every acknowledged write is readable
/// afterwards with its last acknowledged value, whether the move finished or was rolled back because its target
/// died, and no slot is left migrating or importing. One suite; each store family runs it through a subclass.
/// </summary>
public abstract class SlotMoverSuite : IDisposable
{
    private const int Slot = 100;
    private const int Preloaded = 400;
    private const int Writers = 4;
    private readonly string _folder = Directory.CreateTempSubdirectory("shardcast-move-").FullName;

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected abstract Task<IFaultableStore> StartAsync();

    protected async Task CheckASlotMovesUnderConcurrentWrites()
    {
        await using var cluster = await StartAsync();
        var (gate, client, source, target) = await PrepareAsync(cluster);
        var journal = new MoveJournal(Path.Combine(_folder, "moves.journal"));
        var mover = new SlotMover(cluster.Store, gate, journal, new MoverOptions { BatchKeys = 64 });

        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var writers = StartWriters(client, acknowledged, stop.Token);
        await Eventually.UntilAsync(() => acknowledged.Count >= 100, "the writers get going");
        var report = await mover.MoveAsync(Slot, source, target);
        await Eventually.UntilAsync(() => acknowledged.Count >= Preloaded + 100, "writes after the move are acknowledged too");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.True(report.KeysVerified >= Preloaded, $"{report.KeysVerified} keys verified");
        Assert.Empty(report.Warnings);
        foreach (var node in cluster.EndPoints)
        {
            var map = await cluster.Store.ReadSlotMapAsync(node);
            Assert.Equal(target.Id, map.Owner(Slot)!.Id);
            Assert.Empty(map.InTransit);
        }

        await AssertEveryAcknowledgedWriteReadsBack(client, acknowledged);
        Assert.Equal("done", journal.LastSteps().Single().Step);
    }

    protected async Task CheckATargetThatDiesMidCopyRollsBack()
    {
        await using var cluster = await StartAsync();
        var (gate, client, source, target) = await PrepareAsync(cluster);
        var journal = new MoveJournal(Path.Combine(_folder, "moves.journal"));
        int targetIndex = cluster.EndPoints.ToList().FindIndex(e => e.Equals(target.EndPoint));
        var mover = new SlotMover(cluster.Store, gate, journal, new MoverOptions { BatchKeys = 64, CommandTimeout = TimeSpan.FromSeconds(3) })
        {
            BeforeStep = On(MoveStep.Fence, () => cluster.Kill(targetIndex)),
        };

        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var writers = StartWriters(client, acknowledged, stop.Token);
        await Eventually.UntilAsync(() => acknowledged.Count >= 100, "the writers get going");
        var failed = await Assert.ThrowsAsync<MoveFailedException>(() => mover.MoveAsync(Slot, source, target));
        await Eventually.UntilAsync(() => acknowledged.Count >= Preloaded + 100, "writes after the rollback are acknowledged too");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.True(failed.Step is MoveStep.Fence or MoveStep.FinalCopy or MoveStep.Verify, $"failed at {failed.Step}: {failed.Message}");
        var map = await cluster.Store.ReadSlotMapAsync(source.EndPoint);
        Assert.Equal(source.Id, map.Owner(Slot)!.Id);
        Assert.DoesNotContain(Slot, map.InTransit.Keys);
        Assert.False(gate.IsMoving(Slot));
        await AssertEveryAcknowledgedWriteReadsBack(client, acknowledged);
        // The dead target could not drop its partial copy: the journal keeps the move open for recovery.
        Assert.Equal(SlotMover.RollbackPendingStep, journal.LastSteps().Single().Step);
    }

    /// <summary>
    /// A move cancelled as it enters each step up to and including the flip (the flip's command not yet sent) rolls
    /// back whole: the source owns the slot, no node shows it migrating or importing, the gate has let it go, the
    /// journal says rolled back; a cancel on entering the cleanup, after the flip, lets the move finish. A cancel on
    /// entering the flip was once taken for a flip without an answer: the slot stayed migrating, importing and fenced
    /// after the cancel had finished; one on entering the cleanup reported a finished move as cancelled.
    /// </summary>
    protected async Task CheckACancelAtEveryStepBeforeTheFlipRollsBack()
    {
        await using var cluster = await StartAsync();
        var (gate, client, source, target) = await PrepareAsync(cluster);
        var journal = new MoveJournal(Path.Combine(_folder, "moves.journal"));
        foreach (var cancelAt in new[] { MoveStep.Prepare, MoveStep.Copy, MoveStep.Fence, MoveStep.FinalCopy, MoveStep.Verify, MoveStep.Flip })
        {
            using var cancel = new CancellationTokenSource();
            var mover = new SlotMover(cluster.Store, gate, journal, new MoverOptions { BatchKeys = 64 })
            {
                BeforeStep = async (step, _) =>
                {
                    if (step == cancelAt)
                    {
                        await cancel.CancelAsync();
                    }
                },
            };

            var failed = await Assert.ThrowsAsync<MoveFailedException>(() => mover.MoveAsync(Slot, source, target, cancel.Token));
            Assert.True(failed.RolledBack, $"cancelled at {cancelAt}: {failed.Message}");
            Assert.Equal(cancelAt, failed.Step);
            Assert.IsAssignableFrom<OperationCanceledException>(failed.InnerException);
            Assert.False(gate.IsMoving(Slot), $"cancelled at {cancelAt}: the gate still holds the slot");
            Assert.Equal("rolled_back", journal.LastSteps()[^1].Step);
            foreach (var node in cluster.EndPoints)
            {
                var map = await cluster.Store.ReadSlotMapAsync(node);
                Assert.Equal(source.Id, map.Owner(Slot)!.Id);
                Assert.True(map.InTransit.Count == 0, $"cancelled at {cancelAt}: {node} shows slots in transit: {string.Join(", ", map.InTransit.Select(t => $"{t.Key} {t.Value.From[..8]}->{t.Value.To[..8]}"))}");
            }

            Assert.Equal("v0", await client.GetAsync(Key(0)));
        }

        // Past the flip a cancel changes nothing: the move rolls forward and says it finished.
        using var late = new CancellationTokenSource();
        var finishing = new SlotMover(cluster.Store, gate, journal)
        {
            BeforeStep = async (step, _) =>
            {
                if (step == MoveStep.Cleanup)
                {
                    await late.CancelAsync();
                }
            },
        };
        var report = await finishing.MoveAsync(Slot, source, target, late.Token);
        Assert.True(late.IsCancellationRequested);
        Assert.Equal(Preloaded, report.KeysVerified);
        Assert.Equal(target.Id, (await cluster.Store.ReadSlotMapAsync(source.EndPoint)).Owner(Slot)!.Id);
        Assert.Equal("done", journal.LastSteps()[^1].Step);
        Assert.False(gate.IsMoving(Slot));
    }

    /// <summary>
    /// A target paused just before the flip (SIGSTOP: the SETSLOT NODE waits in its socket) leaves the flip without an
    /// answer: the move neither rolls back nor finishes, and the slot stays fenced. Once the target answers again,
    /// SettleFlipAsync settles the move by what the target says (it had taken the slot: the move is finished; it had
    /// not: rolled back), the gate lets the writes go, no slot is left in transit, and no acknowledged write is lost.
    /// </summary>
    protected async Task CheckAFlipWithoutAnswerIsSettledOnceTheTargetAnswers()
    {
        await using var cluster = await StartAsync();
        var (gate, client, source, target) = await PrepareAsync(cluster);
        var journal = new MoveJournal(Path.Combine(_folder, "moves.journal"));
        int targetIndex = cluster.EndPoints.ToList().FindIndex(e => e.Equals(target.EndPoint));
        var mover = new SlotMover(cluster.Store, gate, journal, new MoverOptions { BatchKeys = 64, CommandTimeout = TimeSpan.FromSeconds(2) })
        {
            BeforeStep = On(MoveStep.Flip, () => cluster.Hang(targetIndex)),
        };

        var acknowledged = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource();
        var writers = StartWriters(client, acknowledged, stop.Token);
        await Eventually.UntilAsync(() => acknowledged.Count >= 100, "the writers get going");
        var unknown = await Assert.ThrowsAsync<MoveFailedException>(() => mover.MoveAsync(Slot, source, target));
        Assert.False(unknown.RolledBack, unknown.Message);
        Assert.Equal(MoveStep.Flip, unknown.Step);
        Assert.True(gate.IsMoving(Slot), "the slot's writes are held while the flip is unknown");
        Assert.Null(await mover.SettleFlipAsync(unknown, TimeSpan.FromSeconds(1)));

        cluster.Resume(targetIndex);
        bool? settled = await mover.SettleFlipAsync(unknown, TimeSpan.FromSeconds(30));
        Assert.NotNull(settled);
        Assert.False(gate.IsMoving(Slot));
        await Eventually.UntilAsync(() => acknowledged.Count >= Preloaded + 200, "writes after the settlement are acknowledged");
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        string owner = settled == true ? target.Id : source.Id;
        foreach (var node in cluster.EndPoints)
        {
            await Eventually.UntilAsync(async () =>
            {
                var map = await cluster.Store.ReadSlotMapAsync(node);
                return map.Owner(Slot)?.Id == owner && map.InTransit.Count == 0;
            }, $"{node} sees slot {Slot} on {owner[..8]} and nothing in transit");
        }

        await AssertEveryAcknowledgedWriteReadsBack(client, acknowledged);
        Assert.Equal(settled == true ? "done" : "rolled_back", journal.LastSteps()[^1].Step);
    }

    /// <summary>A mover's step hook that strikes with <paramref name="fault"/> on entering <paramref name="step"/>.</summary>
    private static Func<MoveStep, int, Task> On(MoveStep step, Action fault) => (entered, _) =>
    {
        if (entered == step)
        {
            fault();
        }

        return Task.CompletedTask;
    };

    /// <summary>A gate, a client, the keys of the slot preloaded, and the slot's owner and another node.</summary>
    private static async Task<(SlotGate Gate, GatedClient Client, StoreNode Source, StoreNode Target)> PrepareAsync(IFaultableStore cluster)
    {
        var gate = new SlotGate();
        var client = new GatedClient(cluster.Store.Data.GetDatabase(), gate);
        for (int i = 0; i < Preloaded; i++)
        {
            await client.SetAsync(Key(i), "v0");
        }

        var map = await cluster.Store.ReadSlotMapAsync();
        var source = map.Owner(Slot)!;
        return (gate, client, source, map.Nodes.First(n => n.Id != source.Id));
    }

    /// <summary>Each writer owns the keys i with i % Writers == its number, so its last acknowledged value per key is the key's.</summary>
    private static Task[] StartWriters(GatedClient client, ConcurrentDictionary<string, string> acknowledged, CancellationToken stop) =>
        [.. Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (int n = 1; !stop.IsCancellationRequested; n++)
            {
                // Two keys in three exist already; one in three is new to the slot.
                int i = (random.Next(Preloaded * 3 / 2 / Writers) * Writers) + w;
                string value = $"w{w}-{n}";
                await client.SetAsync(Key(i), value, CancellationToken.None);
                acknowledged[Key(i)] = value;
            }
        }))];

    private static async Task AssertEveryAcknowledgedWriteReadsBack(GatedClient client, ConcurrentDictionary<string, string> acknowledged)
    {
        var lost = new List<string>();
        foreach (var (key, value) in acknowledged)
        {
            string? read = await client.GetAsync(key);
            if (read != value)
            {
                lost.Add($"{key}: acknowledged {value}, read {read ?? "nothing"}");
            }
        }

        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged writes lost: {string.Join("; ", lost.Take(5))}");
    }

    private static readonly string Tag = HashSlots.TagFor(Slot, "t");

    private static string Key(int i) => $"{{{Tag}}}:{i}";
}

public sealed class GarnetSlotMoverTests : SlotMoverSuite
{
    protected override async Task<IFaultableStore> StartAsync() => await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 3 });

    [Fact]
    public Task A_slot_moves_under_concurrent_writes_and_every_acknowledged_write_is_read_back() => CheckASlotMovesUnderConcurrentWrites();

    [Fact]
    public Task A_target_that_dies_mid_copy_rolls_the_move_back_and_loses_nothing() => CheckATargetThatDiesMidCopyRollsBack();

    [Fact]
    public Task A_cancel_at_every_step_before_the_flip_rolls_the_move_back_whole() => CheckACancelAtEveryStepBeforeTheFlipRollsBack();
}

public sealed class RedisSlotMoverTests : SlotMoverSuite
{
    protected override async Task<IFaultableStore> StartAsync() => await RedisServerCluster.StartAsync(3, TimeSpan.FromSeconds(60));

    [RedisServerFact]
    public Task A_slot_moves_under_concurrent_writes_and_every_acknowledged_write_is_read_back() => CheckASlotMovesUnderConcurrentWrites();

    [RedisServerFact]
    public Task A_target_that_dies_mid_copy_rolls_the_move_back_and_loses_nothing() => CheckATargetThatDiesMidCopyRollsBack();

    [RedisServerFact]
    public Task A_flip_without_an_answer_is_settled_once_the_target_answers_and_loses_nothing() => CheckAFlipWithoutAnswerIsSettledOnceTheTargetAnswers();
}

/// <summary>Runs where redis-server is installed; skips, saying how to install it, elsewhere, unless SHARDCAST_REQUIRE_REDIS=1 makes it required (CI).</summary>
public sealed class RedisServerFactAttribute : FactAttribute
{
    public RedisServerFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_REDIS") != "1" && RedisServerCluster.FindProgram() is null)
        {
            Skip = "redis-server is not installed (Debian: apt-get install redis-server)";
        }
    }
}
