using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;
using Shardcast.DataPlane.Tests.Migration;

namespace Shardcast.DataPlane.Tests.Execution;

/// <summary>
/// An execution whose slot's flip gets no answer (the target paused as the flip is sent) does not leave the slot
/// fenced until the next start's recovery: it waits for the target to answer and settles the move by what the target
/// says. The paused redis-server carries out the queued flip when it resumes, so the move is finished and the range
/// goes on; every slot ends on the target, nothing in transit, the gate holding nothing.
/// </summary>
public sealed class FlipSettlementTests
{
    private static readonly SlotRange Range = new(100, 103);

    [RedisServerFact]
    public async Task A_flip_without_an_answer_is_settled_by_the_target_and_the_range_goes_on()
    {
        await using var cluster = await RedisServerCluster.StartAsync(3, TimeSpan.FromSeconds(60));
        var gate = new SlotGate();
        var client = new GatedClient(cluster.Store.Data.GetDatabase(), gate);
        for (int slot = Range.First; slot <= Range.Last; slot++)
        {
            for (int k = 0; k < 20; k++)
            {
                await client.SetAsync($"{{{HashSlots.TagFor(slot, "s")}}}:{k}", $"v{slot}-{k}");
            }
        }

        var map = await cluster.Store.ReadSlotMapAsync();
        var source = map.Owner(Range.First)!;
        var target = map.Nodes.First(n => n.Id != source.Id);
        int targetIndex = cluster.EndPoints.ToList().FindIndex(e => e.Equals(target.EndPoint));
        var options = new ExecutorOptions { Mover = new MoverOptions { CommandTimeout = TimeSpan.FromSeconds(2), FlipSettleWait = TimeSpan.FromSeconds(30) } };
        string journal = Path.Combine(Path.GetTempPath(), $"shardcast-settle-{Guid.NewGuid():N}.journal");
        try
        {
            var execution = new PlanExecution(cluster.Store, gate, new MigrationPlan([new RangeMove("r", Range, source.Id, target.Id, 1000, 0)]), options, new MoveJournal(journal))
            {
                BeforeStep = (step, slot) =>
                {
                    if (step == MoveStep.Flip && slot == Range.First + 1)
                    {
                        cluster.Hang(targetIndex);
                        _ = Task.Delay(TimeSpan.FromSeconds(4)).ContinueWith(_ => cluster.Resume(targetIndex), TaskScheduler.Default);
                    }

                    return Task.CompletedTask;
                },
            }.Start();
            var report = await execution.Completion.WaitAsync(TimeSpan.FromSeconds(120));

            Assert.Equal("r", Assert.Single(report.Done).Partition);
            Assert.Contains(report.Warnings, w => w.Contains($"slot {Range.First + 1}'s flip got no answer; the target owned it", StringComparison.Ordinal));
            Assert.Equal(Range.Count, report.Progress.SlotsMoved);
            foreach (var node in cluster.EndPoints)
            {
                await Eventually.UntilAsync(async () =>
                {
                    var seen = await cluster.Store.ReadSlotMapAsync(node);
                    return Enumerable.Range(Range.First, Range.Count).All(s => seen.Owner(s)?.Id == target.Id) && seen.InTransit.Count == 0;
                }, $"{node} sees the range on the target and nothing in transit");
            }

            Assert.All(Enumerable.Range(Range.First, Range.Count), s => Assert.False(gate.IsMoving(s)));
            Assert.Equal($"v{Range.First + 1}-7", await client.GetAsync($"{{{HashSlots.TagFor(Range.First + 1, "s")}}}:7"));
        }
        finally
        {
            File.Delete(journal);
        }
    }
}
