using FsCheck;
using FsCheck.Fluent;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;

namespace Shardcast.Engine.Tests.Generation;

public class ClusterGeneratorTests
{
    private static string Json(ClusterSpec spec)
    {
        using var stream = new MemoryStream();
        ClusterFileWriter.Write(spec, stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void Generate_WithTheSameOptions_WritesTheSameFile()
    {
        var options = new GeneratorOptions(500, 20, 12, 3, 42);
        Assert.Equal(Json(ClusterGenerator.Generate(options)), Json(ClusterGenerator.Generate(options)));
        Assert.NotEqual(Json(ClusterGenerator.Generate(options)), Json(ClusterGenerator.Generate(options with { Seed = 43 })));
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(7, 3, 2, 8)]
    [InlineData(2000, 50, 12, 4)]
    public void Generate_AnySize_ReadsBackThroughTheStrictReader(int partitions, int nodes, int steps, int resources)
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, nodes, steps, resources, 1));
        var read = ClusterFileReader.Parse(Json(spec));
        Assert.Equal(partitions, read.Partitions.Count);
        Assert.Equal(nodes, read.Nodes.Count);
        Assert.Equal(Json(spec), Json(read));
    }

    [Fact]
    public void Generate_AnyShape_GivesAClusterTheStrictReaderAcceptsAndThePlannerPlans()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<PositiveInt>(), (seed, shape) =>
        {
            int k = shape.Get;
            var options = new GeneratorOptions(1 + (k % 300), 1 + (k % 23), 1 + (k % 13), 1 + (k % 8), seed);
            var spec = ClusterFileReader.Parse(Json(ClusterGenerator.Generate(options)));
            var plan = Planner.Plan(spec, new PlanOptions { StepsPerChain = 2_000, AdviseScaling = false });
            Assert.Equal(spec.Partitions.Count, plan.Assignment.Length);
            Assert.DoesNotContain(plan.After.Broken, b => b.Contains("replicas on node", StringComparison.Ordinal));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void Generate_HasTheFeaturesOfARealCluster()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(5000, 60, 12, 2, 1));
        var input = PlanningInput.From(spec);
        var start = ReferenceCost.Evaluate(input, input.Initial);

        Assert.True(spec.Nodes.Select(n => n.Capacity[0]).Distinct().Count() > 10, "heterogeneous nodes");
        Assert.True(spec.Nodes.Select(n => n.Zone).Distinct().Count() >= 3, "zones");
        Assert.Contains(spec.Nodes, n => n.State == NodeState.Draining);
        Assert.Contains(spec.Nodes, n => n.State == NodeState.New);
        Assert.True(spec.Groups.Count > 500, "replica groups");
        Assert.Contains(spec.Tenants, t => t.Nodes.Count < spec.Nodes.Count / 2);
        Assert.NotEmpty(spec.Affinity);
        Assert.Contains(spec.Partitions, p => p.Parent is not null);
        Assert.Contains(spec.Partitions, p => p.Pinned);

        // Skewed: the hottest tenth of partitions carries far more than a tenth of the load.
        var heat = input.Load.Select(row => row.Max()).OrderDescending().ToArray();
        Assert.True(heat.Take(heat.Length / 10).Sum() > 0.3 * heat.Sum());

        // Unbalanced: some node above capacity while another sits empty.
        Assert.True(start.PeakUtilisation > 1);
        Assert.Contains(start.NodePeakUtilisation, u => u == 0);

        // The only broken constraints of the start are partitions still on draining nodes.
        Assert.All(start.Broken, b => Assert.Contains("draining", b, StringComparison.Ordinal));
    }
}
