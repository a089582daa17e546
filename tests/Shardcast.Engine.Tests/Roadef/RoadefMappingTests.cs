using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Engine.Roadef;

namespace Shardcast.Engine.Tests.Roadef;

/// <summary>The engine's own model carries the challenge: its reference cost equals the exact objective, its search keeps the constraints.</summary>
public class RoadefMappingTests
{
    public static TheoryData<string> SetA => [.. RoadefData.SetA];

    [Theory]
    [MemberData(nameof(SetA))]
    public void ReferenceCost_EqualsTheExactObjective_OnRandomEdits(string name)
    {
        var (instance, initial) = RoadefData.Load(name);
        var input = PlanningInput.From(RoadefMapping.ToCluster(instance, initial));
        var random = new Random(name.GetHashCode(StringComparison.Ordinal));
        var assignment = initial.ToArray();
        for (int edit = 0; edit < 6; edit++)
        {
            var exact = RoadefChecker.Evaluate(instance, initial, assignment);
            var reference = ReferenceCost.Evaluate(input, assignment);
            Assert.Equal(exact.Objective, reference.Cost.Total, 1e-9 * Math.Max(1, exact.Objective));
            Assert.Equal(exact.Feasible, reference.Feasible);
            Assert.Equal((double)exact.LoadCost, reference.Cost.Safety, 1e-6);
            Assert.Equal((double)exact.MachineMoveCost, reference.Cost.NodeMove, 1e-6);
            for (int k = 0; k < 1 + (edit * 3); k++)
            {
                assignment[random.Next(assignment.Length)] = random.Next(instance.Machines.Length);
            }
        }
    }

    [Fact]
    public void ClusterFile_CarriesEveryExtendedField()
    {
        var (instance, initial) = RoadefData.Load("a2_3");
        var spec = RoadefMapping.ToCluster(instance, initial);
        using var stream = new MemoryStream();
        ClusterFileWriter.Write(spec, stream);
        var read = ClusterFileReader.Parse(stream.ToArray());
        Assert.True(read.UsesExtendedModel);
        var moved = initial.Select((m, p) => p % 7 == 0 ? (m + 1) % instance.Machines.Length : m).ToArray();
        var a = ReferenceCost.Evaluate(PlanningInput.From(spec), moved);
        var b = ReferenceCost.Evaluate(PlanningInput.From(read), moved);
        Assert.Equal(a.Cost, b.Cost);
        Assert.Equal(a.Broken, b.Broken);
    }

    [Fact]
    public void Solver_ImprovesEveryTermFeasibly_AndTheSearchAgreesWithTheChecker()
    {
        var (instance, initial) = RoadefData.Load("a1_4");
        var solution = RoadefSolver.Solve(instance, initial, new PlanOptions { StepsPerChain = 200_000, Seed = 3, Threads = 2 });
        Assert.Null(solution.Note);
        Assert.True(solution.Final.Feasible);
        Assert.True(solution.Final.Objective < solution.Initial.Objective * 0.8, $"{solution.Final.Objective} against {solution.Initial.Objective}");
        // Final is the exact checker's judgement; the engine's own double-precision reference, on the instance mapped
        // onto a cluster, is the other judge, and must agree term by term on the moved assignment.
        var engine = ReferenceCost.Evaluate(PlanningInput.From(RoadefMapping.ToCluster(instance, initial)), solution.Assignment).Cost;
        Assert.Equal(0, engine.Violations);
        Assert.Equal(
            (solution.Final.LoadCost, solution.Final.BalanceCost, solution.Final.ProcessMoveCost, solution.Final.ServiceMoveCost, solution.Final.MachineMoveCost),
            ((long)Math.Round(engine.Safety), (long)Math.Round(engine.ResourceBalance), (long)Math.Round(engine.PartitionMove), (long)Math.Round(engine.GroupMove), (long)Math.Round(engine.NodeMove)));
        Assert.Equal(solution.Final.Objective, engine.Total, 1e-6 * solution.Final.Objective);
    }

    [Theory]
    [InlineData("\"transient_resources\": [\"disk\"]", "$.transient_resources[0]", "unknown resource 'disk'")]
    [InlineData("\"node_move_cost\": [{\"from\": \"n0\", \"to\": \"n9\", \"cost\": 1}]", "$.node_move_cost[0].to", "unknown node id 'n9'")]
    [InlineData("\"objective\": {\"w_safety\": [1]}", "$.objective.w_safety", "2")]
    [InlineData("\"objective\": {\"resource_balance\": [{\"a\": \"cpu\", \"b\": \"ram\", \"target\": 1, \"weight\": 1}]}", "$.objective.resource_balance[0].b", "unknown resource 'ram'")]
    [InlineData("\"groups\": [{\"id\": \"g\", \"depends_on\": [\"h\"]}]", "$.groups[0].depends_on[0]", "unknown group id 'h'")]
    [InlineData("\"groups\": [{\"id\": \"g\", \"depends_on\": [\"g\"]}]", "$.groups[0].depends_on[0]", "cannot depend on itself")]
    public void ExtendedFields_Refused_NamingFieldAndReason(string extra, string path, string reason)
    {
        string json = $$"""
            {"resources": ["cpu", "mem"], "horizon": {"steps": 1, "step_seconds": 60},
             "nodes": [{"id": "n0", "capacity": [10, 10], "safety": [8, 8]}, {"id": "n1", "capacity": [10, 10]}],
             "partitions": [{"id": "p0", "node": "n0", "group": "g", "move_cost": 2, "load": [[1, 1]]}],
             {{extra}}}
            """;
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileReader.Parse(json));
        Assert.Equal(path, e.Field);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SafetyAboveCapacity_Refused()
    {
        const string json = """
            {"resources": ["cpu"], "horizon": {"steps": 1, "step_seconds": 60},
             "nodes": [{"id": "n0", "capacity": [10], "safety": [12]}],
             "partitions": [{"id": "p0", "node": "n0", "load": [[1]]}]}
            """;
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileReader.Parse(json));
        Assert.Equal("$.nodes[0].safety[0]", e.Field);
    }
}
