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
        int withinConstraints = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            var assignment = (int[])plan.Assignment.Clone();
            for (int m = random.Next(0, 4); m > 0; m--)
            {
                assignment[random.Next(partitions)] = random.Next(nodes);
            }

            var expected = ReferenceCost.Evaluate(plan.Input, assignment);
            withinConstraints += expected.Broken.Count == 0 ? 1 : 0;
            AssertMatches(expected, evaluator.Evaluate(assignment), 1e-12);
        }

        // Both kinds were exercised: assignments within the constraints, and ones breaking them (whose words must match).
        Assert.InRange(withinConstraints, 20, 199);
    }

    /// <summary>Words, counts and feasibility exactly; cost terms, bytes and peaks within a relative tolerance.</summary>
    internal static void AssertMatches(ReferenceEvaluation expected, ReferenceEvaluation actual, double tolerance)
    {
        Assert.Equal(expected.Broken, actual.Broken);
        Assert.Equal(expected.Moves, actual.Moves);
        Assert.Equal(expected.Feasible, actual.Feasible);
        Assert.Equal(expected.MovedBytes, actual.MovedBytes, tolerance * (1 + expected.MovedBytes));
        for (int n = 0; n < expected.NodePeakUtilisation.Length; n++)
        {
            Assert.Equal(expected.NodePeakUtilisation[n], actual.NodePeakUtilisation[n], tolerance * (1 + expected.NodePeakUtilisation[n]));
        }

        foreach (var (e, a) in new[]
        {
            (expected.Cost.Balance, actual.Cost.Balance), (expected.Cost.Headroom, actual.Cost.Headroom), (expected.Cost.Migration, actual.Cost.Migration),
            (expected.Cost.Affinity, actual.Cost.Affinity), (expected.Cost.Lineage, actual.Cost.Lineage), (expected.Cost.Overload, actual.Cost.Overload),
            (expected.Cost.Violations, actual.Cost.Violations), (expected.Cost.Total, actual.Cost.Total),
        })
        {
            Assert.Equal(e, a, tolerance * (1 + Math.Abs(e)));
        }
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

            AssignmentEvaluatorTests.AssertMatches(ReferenceCost.Evaluate(plan.Input, assignment), evaluator.Evaluate(assignment), 1e-9);
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
