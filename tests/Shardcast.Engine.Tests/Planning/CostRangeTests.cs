using System.Text.Json.Nodes;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Engine.Roadef;
using Shardcast.Engine.Tests.Roadef;

namespace Shardcast.Engine.Tests.Planning;

/// <summary>
/// Clusters whose numbers are each finite but whose cost overflows are refused before any search, naming the term
/// and the numbers behind it; the bounds the refusal rests on really bound every term of every assignment.
/// </summary>
public sealed class CostRangeTests
{
    public static TheoryData<string> Instances => ["generated", "a1_1", "a2_3"];

    [Theory]
    [MemberData(nameof(Instances))]
    public void EveryTermOfEveryAssignment_LiesWithinItsBound(string name)
    {
        var input = name == "generated"
            ? PlanningInput.From(ClusterGenerator.Generate(new GeneratorOptions(300, 12, 6, 3, 5)))
            : FromRoadef(name);
        var bounds = CostRange.Bounds(input).ToDictionary(b => b.Term, b => b.Bound);
        var random = new Random(7);
        int nodes = input.Spec.Nodes.Count;
        for (int trial = 0; trial < 20; trial++)
        {
            // The initial assignment, then ever more of the partitions piled onto ever fewer nodes.
            int[] assignment = [.. input.Initial.Select(n => trial == 0 ? n : random.Next(Math.Max(1, nodes >> (trial % 4))))];
            var cost = ReferenceCost.Evaluate(input, assignment).Cost;
            Assert.InRange(cost.Balance + cost.Headroom + cost.Overload, 0, bounds["balance and headroom"]);
            Assert.InRange(cost.Migration, 0, bounds["migration"]);
            Assert.InRange(cost.Affinity, 0, bounds["affinity"]);
            Assert.InRange(cost.Lineage, 0, bounds["lineage"]);
            Assert.InRange(cost.Safety, 0, bounds["safety excess"]);
            Assert.InRange(cost.ResourceBalance, 0, bounds.Where(b => b.Key.StartsWith("resource balance", StringComparison.Ordinal)).Sum(b => b.Value));
            Assert.InRange(cost.PartitionMove, 0, bounds["partition move cost"]);
            Assert.InRange(cost.GroupMove, 0, bounds["group move cost"]);
            Assert.InRange(cost.NodeMove, 0, bounds["node move cost"]);
        }
    }

    [Fact]
    public void ACapacityTooSmallToDivideBy_IsRefused_NamingTheNodeAndTheResource()
    {
        var cluster = Small();
        cluster["nodes"]![1]!["capacity"]![1] = 1e-300;

        var error = Assert.Throws<PlanningException>(() => PlanningInput.From(ClusterFileReader.Parse(cluster.ToJsonString())));

        Assert.Contains("balance and headroom term", error.Message, StringComparison.Ordinal);
        Assert.Contains("node 'n1' has a capacity of 1E-300 of it", error.Message, StringComparison.Ordinal);
        Assert.Contains("'read_bytes'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadsThatSumPastDoublePrecision_AreRefused()
    {
        var cluster = Small();
        foreach (var partition in cluster["partitions"]!.AsArray())
        {
            partition!["load"]![0]![0] = 1e308;
        }

        var error = Assert.Throws<PlanningException>(() => PlanningInput.From(ClusterFileReader.Parse(cluster.ToJsonString())));

        Assert.Contains("balance and headroom term could reach Infinity", error.Message, StringComparison.Ordinal);
        Assert.Contains("the load of 'read_rps' at step 0 totals Infinity", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("w_over", "balance and headroom", "w_over 1E+300")]
    [InlineData("w_aff", "affinity", "w_aff 1E+300")]
    [InlineData("w_lin", "lineage", "w_lin 1E+300")]
    public void AWeightThatOverflowsItsTerm_IsRefused_NamingTheWeight(string weight, string term, string named)
    {
        var cluster = Small();
        cluster["objective"]![weight] = 1e300;

        var error = Assert.Throws<PlanningException>(() => PlanningInput.From(ClusterFileReader.Parse(cluster.ToJsonString())));

        Assert.Contains($"its {term} term could reach", error.Message, StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SizesThatSumPastDoublePrecision_AreRefused()
    {
        var cluster = Small();
        foreach (var partition in cluster["partitions"]!.AsArray())
        {
            partition!["size_bytes"] = 1e308;
        }

        var error = Assert.Throws<PlanningException>(() => PlanningInput.From(ClusterFileReader.Parse(cluster.ToJsonString())));

        Assert.Contains("size_bytes sum past double precision's range", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WideButRepresentableNumbers_AreAccepted()
    {
        // A node with a millionth of its peers' capacity and weights of a million: unusual, still plannable.
        var cluster = Small();
        cluster["nodes"]![1]!["capacity"]![0] = 1e-3;
        cluster["objective"]!["w_over"] = 1e6;

        var input = PlanningInput.From(ClusterFileReader.Parse(cluster.ToJsonString()));

        Assert.All(CostRange.Bounds(input), b => Assert.InRange(b.Bound, 0, CostRange.Limit));
    }

    private static JsonNode Small() => JsonNode.Parse(Clusters.Small)!;

    private static PlanningInput FromRoadef(string name)
    {
        var (instance, initial) = RoadefData.Load(name);
        return PlanningInput.From(RoadefMapping.ToCluster(instance, initial));
    }
}
