using Shardcast.Engine.Roadef;

namespace Shardcast.Engine.Tests.Roadef;

/// <summary>The load cost split into the aggregate bound and each resource's share above it, against the exact checker.</summary>
public class RoadefLoadGapTests
{
    public static TheoryData<string> SetA => [.. RoadefData.SetA];

    [Theory]
    [MemberData(nameof(SetA))]
    public void BoundPlusShares_EqualsTheCheckersLoadCost_BeforeAndAfterMoves(string name)
    {
        var (instance, initial) = RoadefData.Load(name);
        var moved = initial.ToArray();
        var random = new System.Random(7);
        for (int i = 0; i < moved.Length / 10; i++)
        {
            moved[random.Next(moved.Length)] = random.Next(instance.Machines.Length);
        }

        foreach (var assignment in new[] { initial, moved })
        {
            var gap = RoadefLoadGap.Analyze(instance, initial, assignment);
            Assert.Equal(RoadefChecker.Evaluate(instance, initial, assignment).LoadCost, gap.AggregateBound + gap.AboveBound);
            Assert.All(gap.Resources, r => Assert.Equal(instance.Resources[r.Resource].WeightLoadCost * Math.Min(r.Excess, r.Room), r.Cost));
        }
    }

    [Fact]
    public void AggregateBound_OfA12_IsItsPublishedLowerBound()
    {
        // a1_2 has no balance cost and every resource over its total safety capacity: its bound is the aggregate one.
        var (instance, initial) = RoadefData.Load("a1_2");
        long published = long.Parse(File.ReadAllText(RoadefData.File("lb", "a1_2")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(published, RoadefLoadGap.Analyze(instance, initial, initial).AggregateBound);
    }

    [Fact]
    public void RoomLeftBehindAProcessThatMoved_IsListedWithTheTransientUsageItHolds()
    {
        var (instance, initial) = RoadefData.Load("a1_2");
        int r = Array.FindIndex(instance.Resources, x => x.Transient);
        var usage = RoadefData.Usage(instance, initial, r);

        // The largest process (on the transient resource) whose leaving takes its machine under safety capacity.
        int leaver = Enumerable.Range(0, initial.Length)
            .Where(p => usage[initial[p]] - instance.Processes[p].Requirement[r] < instance.Machines[initial[p]].SafetyCapacity[r])
            .MaxBy(p => instance.Processes[p].Requirement[r]);
        int home = initial[leaver];
        var moved = initial.ToArray();
        moved[leaver] = (home + 1) % instance.Machines.Length;

        var gap = RoadefLoadGap.Analyze(instance, initial, moved);
        Assert.True(gap.Resources[r].RoomBinds);
        var entry = Assert.Single(gap.Machines, m => m.Machine == home && m.Resource == r);
        long need = instance.Processes[leaver].Requirement[r];
        Assert.Equal(instance.Machines[home].SafetyCapacity[r] - (usage[home] - need), entry.Amount);
        Assert.Equal(need, entry.Held);
        Assert.Equal(instance.Machines[home].Capacity[r] - usage[home], entry.CapacityLeft[r]);
    }
}
