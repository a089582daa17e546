using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;

namespace Shardcast.Engine.Tests.Planning;

public class AssignmentEvaluatorTests
{
    [Theory]
    [InlineData(300, 12, 6, 2, 5)]
    [InlineData(1000, 50, 12, 4, 1)]
    public void Evaluations_equal_the_reference_on_random_assignments_within_and_outside_the_constraints(int partitions, int nodes, int steps, int resources, ulong seed)
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, nodes, steps, resources, seed));
        var plan = Planner.Plan(spec, new PlanOptions { StepsPerChain = 2000, Seed = 1 });
        var evaluator = new AssignmentEvaluator(plan.Input);
        var random = new Random((int)seed);
        int fastPath = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            var assignment = (int[])plan.Assignment.Clone();
            for (int m = random.Next(0, 4); m > 0; m--)
            {
                assignment[random.Next(partitions)] = random.Next(nodes);
            }

            var expected = ReferenceCost.Evaluate(plan.Input, assignment);
            var actual = evaluator.Evaluate(assignment);
            fastPath += expected.Broken.Count == 0 ? 1 : 0;
            Assert.Equal(expected.Broken, actual.Broken);
            Assert.Equal(expected.Moves, actual.Moves);
            Assert.Equal(expected.MovedBytes, actual.MovedBytes);
            Assert.Equal(expected.NodePeakUtilisation, actual.NodePeakUtilisation);
            Assert.Equal(expected.Feasible, actual.Feasible);
            foreach (var (e, a) in new[]
            {
                (expected.Cost.Balance, actual.Cost.Balance), (expected.Cost.Headroom, actual.Cost.Headroom), (expected.Cost.Migration, actual.Cost.Migration),
                (expected.Cost.Affinity, actual.Cost.Affinity), (expected.Cost.Lineage, actual.Cost.Lineage), (expected.Cost.Overload, actual.Cost.Overload),
                (expected.Cost.Violations, actual.Cost.Violations), (expected.Cost.Total, actual.Cost.Total),
            })
            {
                Assert.Equal(e, a, 1e-12 * (1 + Math.Abs(e)));
            }
        }

        // Both paths were exercised: assignments the fast path judged, and broken ones the reference named.
        Assert.InRange(fastPath, 20, 199);
    }
}

public class IncrementalEvaluationTests
{
    [Theory]
    [InlineData(300, 12, 6, 2, 5)]
    [InlineData(1000, 50, 12, 4, 1)]
    public void Evaluations_near_the_base_equal_the_reference_to_rounding(int partitions, int nodes, int steps, int resources, ulong seed)
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, nodes, steps, resources, seed));
        var plan = Planner.Plan(spec, new PlanOptions { StepsPerChain = 2000, Seed = 1 });
        var evaluator = new AssignmentEvaluator(plan.Input, plan.Assignment);
        var random = new Random((int)seed + 7);
        for (int trial = 0; trial < 300; trial++)
        {
            var assignment = (int[])plan.Assignment.Clone();
            int changes = trial % 3 == 0 ? random.Next(0, 50) : random.Next(0, 4);
            for (int m = 0; m < changes; m++)
            {
                assignment[random.Next(partitions)] = random.Next(nodes);
            }

            var expected = ReferenceCost.Evaluate(plan.Input, assignment);
            var actual = evaluator.Evaluate(assignment);
            Assert.Equal(expected.Broken, actual.Broken);
            Assert.Equal(expected.Moves, actual.Moves);
            Assert.Equal(expected.Feasible, actual.Feasible);
            Assert.Equal(expected.MovedBytes, actual.MovedBytes, 1e-9 * (1 + expected.MovedBytes));
            for (int n = 0; n < nodes; n++)
            {
                Assert.Equal(expected.NodePeakUtilisation[n], actual.NodePeakUtilisation[n], 1e-12);
            }

            foreach (var (e, a) in new[]
            {
                (expected.Cost.Balance, actual.Cost.Balance), (expected.Cost.Headroom, actual.Cost.Headroom), (expected.Cost.Migration, actual.Cost.Migration),
                (expected.Cost.Affinity, actual.Cost.Affinity), (expected.Cost.Lineage, actual.Cost.Lineage), (expected.Cost.Overload, actual.Cost.Overload),
                (expected.Cost.Violations, actual.Cost.Violations), (expected.Cost.Total, actual.Cost.Total),
            })
            {
                Assert.Equal(e, a, 1e-9 * (1 + Math.Abs(e)));
            }
        }
    }

    [Fact]
    public void A_node_index_out_of_range_is_refused_on_the_incremental_path_too()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(100, 8, 4, 2, 3));
        var input = PlanningInput.From(spec);
        var evaluator = new AssignmentEvaluator(input, input.Initial);
        var assignment = (int[])input.Initial.Clone();
        assignment[5] = 8;
        Assert.Throws<ArgumentOutOfRangeException>(() => evaluator.Evaluate(assignment));
    }
}
