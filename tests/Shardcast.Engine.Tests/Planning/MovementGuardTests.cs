using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;

namespace Shardcast.Engine.Tests.Planning;

/// <summary>
/// A plan at default settings moves no more bytes than the greedy rebalancer and ends with no higher peak, on
/// generated clusters of several shapes and loads and on the example shipped with the CLI; the search's own plan,
/// unguarded, moved several times more. Trimming undoes exactly the moves that buy no peak.
/// </summary>
public sealed class MovementGuardTests
{
    public static TheoryData<int, int, int, int, ulong, double> Shapes => new()
    {
        { 400, 16, 6, 2, 1, 0.6 },
        { 800, 24, 12, 2, 2, 0.45 },
        { 600, 20, 12, 3, 3, 0.8 },
        { 1500, 40, 6, 2, 4, 0.6 },
        { 300, 10, 12, 4, 5, 0.9 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_default_plan_moves_no_more_than_greedy_and_peaks_no_higher(int partitions, int nodes, int steps, int resources, ulong seed, double utilisation)
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, nodes, steps, resources, seed, utilisation));
        AssertNoWorseThanGreedy(spec);
    }

    [Fact]
    public void The_example_cluster_is_planned_no_worse_than_greedy()
    {
        string example = Path.Combine(RepositoryRoot(), "examples", "cluster.json");
        AssertNoWorseThanGreedy(ClusterFileReader.Parse(File.ReadAllBytes(example)));
    }

    [Fact]
    public void Unguarded_the_search_moves_more_than_greedy_which_is_what_the_guard_is_for()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(800, 24, 12, 2, 2, 0.45));
        var raw = Planner.Plan(spec, Steps(spec) with { MovementGuard = false });
        var greedy = Planner.Plan(spec, Steps(spec) with { Algorithm = SearchAlgorithm.Greedy });
        Assert.Null(raw.Guard);
        Assert.True(raw.After.MovedBytes > 2 * greedy.After.MovedBytes, $"unguarded {raw.After.MovedBytes:0} bytes, greedy {greedy.After.MovedBytes:0}");
    }

    [Fact]
    public void Trimming_undoes_a_move_that_buys_no_peak_and_keeps_the_one_that_relieves_the_hot_node()
    {
        // n0 is hot (90 %); p0 off it relieves it. p2 moved from n1 to n2 for balance only: undone.
        var spec = ClusterFileReader.Parse("""
        {
          "resources": ["ops"],
          "horizon": {"steps": 1, "step_seconds": 60},
          "nodes": [{"id": "n0", "capacity": [100]}, {"id": "n1", "capacity": [100]}, {"id": "n2", "capacity": [100]}],
          "partitions": [
            {"id": "p0", "node": "n0", "size_bytes": 1e9, "load": [[40]]},
            {"id": "p1", "node": "n0", "size_bytes": 1e9, "load": [[50]]},
            {"id": "p2", "node": "n1", "size_bytes": 1e9, "load": [[30]]},
            {"id": "p3", "node": "n1", "size_bytes": 1e9, "load": [[20]]}
          ]
        }
        """u8.ToArray());
        var input = PlanningInput.From(spec);
        int[] searched = [2, 0, 2, 1];
        var (trimmed, undone) = MoveTrim.Trim(input, searched, limit: 0.7);
        Assert.Equal([2, 0, 1, 1], trimmed);
        Assert.Equal(1, undone);
        Assert.True(ReferenceCost.Evaluate(input, trimmed).PeakUtilisation <= 0.7);
    }

    [Fact]
    public void Trimming_never_puts_two_replicas_on_a_node_nor_a_partition_back_on_a_draining_node_nor_parts_a_co_accessed_pair()
    {
        var spec = ClusterFileReader.Parse("""
        {
          "resources": ["ops"],
          "horizon": {"steps": 1, "step_seconds": 60},
          "nodes": [{"id": "n0", "capacity": [100], "zone": "a"}, {"id": "n1", "capacity": [100], "zone": "b"},
                    {"id": "n2", "capacity": [100], "zone": "c"}, {"id": "old", "capacity": [100], "zone": "c", "state": "draining"}],
          "partitions": [
            {"id": "r0", "node": "n0", "size_bytes": 1e9, "group": "g", "load": [[10]]},
            {"id": "r1", "node": "n1", "size_bytes": 1e9, "group": "g", "load": [[10]]},
            {"id": "d0", "node": "old", "size_bytes": 1e9, "load": [[10]]},
            {"id": "a0", "node": "n0", "size_bytes": 1e9, "load": [[10]]},
            {"id": "a1", "node": "n2", "size_bytes": 1e9, "load": [[10]]}
          ],
          "groups": [{"id": "g", "min_zones": 2}],
          "affinity": [{"a": "a0", "b": "a1", "weight": 1}]
        }
        """u8.ToArray());
        var input = PlanningInput.From(spec);
        // r0 went to n2 and r1 to n0: undoing r0 would put both replicas on n0, undoing r1 is fine. d0 left the
        // draining node and stays off it. a0 joined a1 on n2: undoing it would part them.
        int[] searched = [2, 0, 1, 2, 2];
        var (trimmed, undone) = MoveTrim.Trim(input, searched, limit: 0.8);
        Assert.Equal([2, 1, 1, 2, 2], trimmed);
        Assert.Equal(1, undone);
        Assert.Empty(ReferenceCost.Evaluate(input, trimmed).Broken);
    }

    private static void AssertNoWorseThanGreedy(ClusterSpec spec)
    {
        var plan = Planner.Plan(spec, Steps(spec));
        var greedy = Planner.Plan(spec, Steps(spec) with { Algorithm = SearchAlgorithm.Greedy });
        Assert.NotNull(plan.Guard);
        Assert.True(plan.After.MovedBytes <= greedy.After.MovedBytes * (1 + 1e-12), $"plan {plan.After.MovedBytes:0} bytes, greedy {greedy.After.MovedBytes:0} ({plan.Guard!.Chosen})");
        Assert.True(plan.After.PeakUtilisation <= greedy.After.PeakUtilisation + 1e-9, $"plan peak {plan.After.PeakUtilisation:P2}, greedy {greedy.After.PeakUtilisation:P2}");
        Assert.True(plan.After.Broken.Count <= greedy.After.Broken.Count, string.Join("; ", plan.After.Broken));
        Assert.Equal(plan.Moves.Count, plan.After.Moves);
        // The guard's greedy is the same descent as the greedy baseline's own plan.
        Assert.Equal(greedy.After.MovedBytes, plan.Guard!.Greedy.MovedBytes);
    }

    /// <summary>Step budgets (deterministic, and the greedy baseline runs to convergence as it does in the guard).</summary>
    private static PlanOptions Steps(ClusterSpec spec) => new() { StepsPerChain = 16L * spec.Partitions.Count, Seed = 7, AdviseScaling = false, Threads = 2 };

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Engine.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new DirectoryNotFoundException("Engine.sln not found above the test folder");
    }
}
