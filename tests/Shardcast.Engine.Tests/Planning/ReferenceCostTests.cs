using FsCheck;
using FsCheck.Fluent;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Tests.Planning;

public class ReferenceCostTests
{
    private static PlanningInput Small() => PlanningInput.From(ClusterFileReader.Parse(Clusters.Small));

    [Fact]
    public void Evaluate_TheSmallCluster_MatchesTheCostWorkedOutByHand()
    {
        var input = Small();

        // p2 moves from n0 (zone a) to the new node n2 (zone b, distance 2).
        var e = ReferenceCost.Evaluate(input, [0, 1, 2]);

        // Relative capacities: n0, n1 = 0.75, n2 = 1.5 (mean node capacity 1333.3 rps and 6.667e7 B/s).
        // U[h,r] = total load / total capacity = 0.325, 0.305 (h0); 0.375, 0.325 (h1).
        double[] u = [0.325, 0.305, 0.375, 0.325];
        double[][] util =
        [
            [0.6, 0.62, 0.7, 0.66],   // n0 holds p0
            [0.2, 0.2, 0.25, 0.22],   // n1 holds p1
            [0.25, 0.2, 0.275, 0.21], // n2 holds p2
        ];
        double[] relative = [0.75, 0.75, 1.5];
        double balance = 0, headroom = 0;
        for (int n = 0; n < 3; n++)
        {
            for (int k = 0; k < 4; k++)
            {
                balance += relative[n] * Math.Pow(util[n][k] - u[k], 2);
                headroom += relative[n] * Math.Pow(Math.Max(0, util[n][k] - 0.8), 2);
            }
        }

        Assert.Equal(balance, e.Cost.Balance, 1e-12);
        Assert.Equal(0, e.Cost.Headroom);
        Assert.Equal(0.1 * 3e9 * 2 / 5.2e9, e.Cost.Migration, 1e-12);
        Assert.Equal(0.5 * 2.0, e.Cost.Affinity, 1e-12);
        Assert.Equal(0.2, e.Cost.Lineage, 1e-12);
        Assert.Equal(0, e.Cost.Overload);
        Assert.Empty(e.Broken);
        Assert.Equal(1, e.Moves);
        Assert.Equal(0.7, e.PeakUtilisation, 1e-12);
    }

    [Fact]
    public void Evaluate_TheOverloadedStart_ChargesHeadroomAndOverload()
    {
        var e = ReferenceCost.Evaluate(Small(), Small().Initial);

        // n0 holds p0 and p2: utilisation 1.1, 1.02, 1.25, 1.08 against relative capacity 0.75.
        Assert.Equal(0.75 * (0.1 + 0.02 + 0.25 + 0.08), e.Cost.Overload, 1e-12);
        Assert.Equal(10 * 0.75 * (0.09 + 0.0484 + 0.2025 + 0.0784), e.Cost.Headroom, 1e-9);
        Assert.False(e.Feasible);
    }

    [Fact]
    public void Evaluate_NamesEveryBrokenHardConstraint()
    {
        // Both replicas of g0 on n1 (one zone), p0 moved: a collision and a zone shortfall.
        var e = ReferenceCost.Evaluate(Small(), [1, 1, 0]);
        Assert.Contains(e.Broken, b => b.Contains("2 replicas on node 'n1'", StringComparison.Ordinal));
        Assert.Contains(e.Broken, b => b.Contains("spans 1 zones, fewer than its min_zones 2", StringComparison.Ordinal));
        Assert.Equal(2, e.Cost.Violations);
    }

    [Fact]
    public void ManagedFloatCost_AgreesWithTheDoubleReference_OnGeneratedClusters()
    {
        // Term by term, at CostAgreement's tolerance; the random assignments break constraints and overload nodes.
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<PositiveInt>(), (seed, size) =>
        {
            var spec = ClusterGenerator.Generate(new GeneratorOptions(50 + (size.Get % 400), 4 + (size.Get % 30), 1 + (size.Get % 12), 1 + (size.Get % 4), seed));
            var input = PlanningInput.From(spec);
            var problem = ProblemBuilder.Build(input);
            var rng = new System.Random((int)(seed % int.MaxValue));
            foreach (var assignment in new[] { input.Initial, input.Initial.Select(_ => rng.Next(spec.Nodes.Count)).ToArray() })
            {
                var reference = ReferenceCost.Evaluate(input, assignment).Cost;
                var managed = ManagedBackend.Evaluate(problem, assignment);
                CostAgreement.Assert(reference, managed, $"seed {seed}, size {size.Get}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }
}
