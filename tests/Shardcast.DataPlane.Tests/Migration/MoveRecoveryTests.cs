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

    private static readonly string Tag = HashSlots.TagFor(Slot, "r");

    private static string Key(int i) => $"{{{Tag}}}:{i}";
}
