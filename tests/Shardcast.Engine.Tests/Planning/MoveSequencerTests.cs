using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;

namespace Shardcast.Engine.Tests.Planning;

public class MoveSequencerTests
{
    private static PartitionSpec Partition(string id, string node, double load) =>
        new(id, node, 1e9, null, null, null, false, new Dictionary<string, string>(), [[load]], null);

    [Fact]
    public void Sequence_WhenATargetIsFullUntilItsOwnPartitionLeaves_MovesThatOneFirst()
    {
        // b is full with q; p (a -> b) can only start once q (b -> c) has left.
        var spec = new ClusterSpec(
            ["rps"], new HorizonSpec(1, 300),
            [new NodeSpec("a", [100], "z", NodeState.Active), new NodeSpec("b", [100], "z", NodeState.Active), new NodeSpec("c", [100], "z", NodeState.Active)],
            [Partition("p", "a", 80), Partition("q", "b", 90)],
            [], [], [], [], ObjectiveSpec.Default, BudgetSpec.Unlimited, SearchSpec.Default);
        var input = PlanningInput.From(spec);
        var (waves, safe) = MoveSequencer.Sequence(input, [1, 2]);
        Assert.True(safe);
        Assert.Equal(0, waves[1]);
        Assert.Equal(1, waves[0]);
    }

    [Fact]
    public void Sequence_WhenTwoFullNodesSwap_RunsOneMoveAloneAndSaysItIsNotSafe()
    {
        var spec = new ClusterSpec(
            ["rps"], new HorizonSpec(1, 300),
            [new NodeSpec("a", [100], "z", NodeState.Active), new NodeSpec("b", [100], "z", NodeState.Active)],
            [Partition("p", "a", 90), Partition("q", "b", 90)],
            [], [], [], [], ObjectiveSpec.Default, BudgetSpec.Unlimited, SearchSpec.Default);
        var (waves, safe) = MoveSequencer.Sequence(PlanningInput.From(spec), [1, 0]);
        Assert.False(safe);
        Assert.Equal(2, waves.Values.Distinct().Count());
    }

    [Fact]
    public void Sequence_OfARealPlan_NeverOverloadsANodeInAnyWave_WhenItSaysSafe()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(400, 16, 6, 2, 11));
        var plan = Planner.Plan(spec, new PlanOptions { StepsPerChain = 20_000 });
        Assert.True(plan.SequenceSafe);
        Assert.True(plan.Moves.Count >= 20 && plan.Moves.Select(m => m.Wave).Distinct().Count() >= 2, $"{plan.Moves.Count} moves in {plan.Moves.Select(m => m.Wave).Distinct().Count()} waves: too few for the check to mean anything");
        var input = plan.Input;
        double[] peakBefore = ReferenceCost.Evaluate(input, input.Initial).NodePeakUtilisation;
        int width = input.Steps * input.Resources;
        var load = new double[spec.Nodes.Count, width];
        for (int p = 0; p < spec.Partitions.Count; p++)
        {
            for (int k = 0; k < width; k++)
            {
                load[input.Initial[p], k] += input.Load[p][k];
            }
        }

        foreach (var wave in plan.Moves.GroupBy(m => m.Wave).OrderBy(g => g.Key))
        {
            // While a wave runs, targets carry the moving partitions on top of what they hold.
            foreach (var m in wave)
            {
                int p = input.PartitionIndex[m.Partition];
                int to = input.NodeIndex[m.To];
                for (int k = 0; k < width; k++)
                {
                    load[to, k] += input.Load[p][k];
                }
            }

            for (int n = 0; n < spec.Nodes.Count; n++)
            {
                for (int k = 0; k < width; k++)
                {
                    double before = peakBefore[n];
                    double utilisation = load[n, k] / input.Capacity(n, k % input.Resources);
                    Assert.True(utilisation <= Math.Max(1, before) + 1e-9, $"wave {wave.Key}: node {spec.Nodes[n].Id} at {utilisation:P1}");
                }
            }

            foreach (var m in wave)
            {
                int p = input.PartitionIndex[m.Partition];
                int from = input.NodeIndex[m.From];
                for (int k = 0; k < width; k++)
                {
                    load[from, k] -= input.Load[p][k];
                }
            }
        }
    }
}
