using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Migration;

/// <summary>
/// A controller killed mid-move leaves slots migrating and importing; started again, it reads its journal and
/// finishes the moves that had flipped and rolls back the others, and afterwards no slot is in transit and every key
/// is read from the slot's owner.
/// </summary>
public sealed class MoveRecoveryTests : IDisposable
{
    private const int Slot = 200;
    private const int Keys = 300;
    private readonly string _folder = Directory.CreateTempSubdirectory("shardcast-recovery-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(MoveStep.Copy, false)]
    [InlineData(MoveStep.Verify, false)]
    [InlineData(MoveStep.Cleanup, true)]
    // Killed after the target took the slot and before the journal said so: recovery asks the target and finishes.
    [InlineData(MoveStep.Flip, true)]
    public async Task A_controller_killed_at_a_step_is_recovered_from_its_journal(MoveStep killedAt, bool flipped)
    {
        await using var cluster = await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 3 });
        var client = new GatedClient(cluster.Store.Data.GetDatabase(), new SlotGate());
        for (int i = 0; i < Keys; i++)
        {
            await client.SetAsync(Key(i), $"v{i}");
        }

        var map = await cluster.Store.ReadSlotMapAsync();
        var source = map.Owner(Slot)!;
        var target = map.Nodes.First(n => n.Id != source.Id);
        var journal = new MoveJournal(Path.Combine(_folder, "moves.journal"));
        var mover = new SlotMover(cluster.Store, new SlotGate(), journal)
        {
            BeforeStep = (step, _) => step == killedAt && step != MoveStep.Flip ? throw new SimulatedCrashException(step) : Task.CompletedTask,
            AfterTargetFlip = _ =>
            {
                if (killedAt == MoveStep.Flip)
                {
                    throw new SimulatedCrashException(MoveStep.Flip);
                }
            },
        };
        await Assert.ThrowsAsync<SimulatedCrashException>(() => mover.MoveAsync(Slot, source, target));
        if (!flipped)
        {
            // What the crash left: the slot migrating on the source, importing on the target.
            Assert.Contains(Slot, (await cluster.Store.ReadSlotMapAsync(source.EndPoint)).InTransit.Keys);
        }

        var report = await MoveRecovery.RecoverAsync(cluster.Store, new MoveJournal(journal.Path), TimeSpan.FromSeconds(5));

        Assert.Equal(flipped ? [Slot] : [], report.Finished);
        Assert.Equal(flipped ? [] : [Slot], report.RolledBack);
        var owner = flipped ? target : source;
        foreach (var node in cluster.EndPoints)
        {
            var seen = await cluster.Store.ReadSlotMapAsync(node);
            Assert.Empty(seen.InTransit);
            await Eventually.UntilAsync(async () => (await cluster.Store.ReadSlotMapAsync(node)).Owner(Slot)!.Id == owner.Id, $"{node} sees {owner} own slot {Slot}");
        }

        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal($"v{i}", (string?)await client.GetAsync(Key(i)));
        }

        Assert.Equal(flipped ? "done" : "rolled_back", journal.LastSteps().Single().Step);
    }

    /// <summary>
    /// The target dies as the flip is sent, and it is the store's first seed: the flip gets no answer, and recovery
    /// (a controller's next start) still reads the slot map from a node that answers, rolls the move back (the dead
    /// target owns nothing), and skips the dead node when it looks for slots left in transit. Both used to throw.
    /// </summary>
    [Fact]
    public async Task A_move_whose_target_died_at_the_flip_is_recovered_with_the_first_seed_down()
    {
        await using var cluster = await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 3 });
        var map = await cluster.Store.ReadSlotMapAsync();
        var target = map.Nodes.Single(n => n.EndPoint.Equals(cluster.Store.Seeds[0]));
        int slot = Enumerable.Range(0, HashSlots.Count).First(s => map.Owner(s)!.Id != target.Id);
        var source = map.Owner(slot)!;
        string tag = HashSlots.TagFor(slot, "d");
        var client = new GatedClient(cluster.Store.Data.GetDatabase(), new SlotGate());
        for (int i = 0; i < 50; i++)
        {
            await client.SetAsync($"{{{tag}}}:{i}", $"v{i}");
        }

        var journal = new MoveJournal(Path.Combine(_folder, "moves.journal"));
        var mover = new SlotMover(cluster.Store, new SlotGate(), journal, new MoverOptions { CommandTimeout = TimeSpan.FromSeconds(2) })
        {
            BeforeStep = (step, _) =>
            {
                if (step == MoveStep.Flip)
                {
                    cluster.Kill(cluster.EndPoints.ToList().FindIndex(e => e.Equals(target.EndPoint)));
                }

                return Task.CompletedTask;
            },
        };
        var unknown = await Assert.ThrowsAsync<MoveFailedException>(() => mover.MoveAsync(slot, source, target));
        Assert.False(unknown.RolledBack);
        Assert.Null(await mover.SettleFlipAsync(unknown, TimeSpan.FromSeconds(1)));

        var report = await MoveRecovery.RecoverAsync(cluster.Store, new MoveJournal(journal.Path), TimeSpan.FromSeconds(2));

        Assert.Equal([slot], report.RolledBack);
        var seen = await cluster.Store.ReadSlotMapAsync(source.EndPoint);
        Assert.Equal(source.Id, seen.Owner(slot)!.Id);
        Assert.Empty(seen.InTransit);
        Assert.Equal(SlotMover.RollbackPendingStep, journal.LastSteps().Single().Step);
        Assert.Equal("v7", (string?)await cluster.Store.Data.GetDatabase().StringGetAsync($"{{{tag}}}:7"));
    }

    private static readonly string Tag = HashSlots.TagFor(Slot, "r");

    private static string Key(int i) => $"{{{Tag}}}:{i}";
}
