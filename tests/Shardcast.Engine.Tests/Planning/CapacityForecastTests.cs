using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;

namespace Shardcast.Engine.Tests.Planning;

/// <summary>Predictive scaling from the horizon: nodes to add and from which step as load rises; nodes to drain in a trough, never below a replica group's size.</summary>
public sealed class CapacityForecastTests
{
    /// <summary>Nodes of capacity 100 and partitions of the given per-step loads spread over them round-robin (theta 0.8).</summary>
    private static ClusterSpec Cluster(int nodes, double[][] partitionLoads, int groupSize = 0)
    {
        var partitions = partitionLoads.Select((load, p) =>
            $$"""{"id": "p{{p}}", "node": "n{{p % nodes}}", "size_bytes": {{(p + 1) * 1e9}}{{(p < groupSize ? ", \"group\": \"g\"" : "")}}, "load": [{{string.Join(", ", load.Select(l => $"[{l}]"))}}]}""");
        string json = $$"""
        {
          "resources": ["ops"],
          "horizon": {"steps": {{partitionLoads[0].Length}}, "step_seconds": 60},
          "nodes": [{{string.Join(", ", Enumerable.Range(0, nodes).Select(n => $$"""{"id": "n{{n}}", "capacity": [100], "zone": "z{{n}}"}"""))}}],
          "partitions": [{{string.Join(", ", partitions)}}],
          "groups": [{{(groupSize > 0 ? """{"id": "g", "min_zones": 1}""" : "")}}]
        }
        """;
        return ClusterFileReader.Parse(json);
    }

    private static PlanOptions Quick => new() { StepsPerChain = 2_000, AdviseScaling = false };

    [Fact]
    public void Rising_load_asks_for_nodes_from_the_first_step_that_needs_them()
    {
        // Total load 200, 250, 300, 400 on 4 nodes of 100 at theta 0.8: 3, 4, 4, 5 nodes needed.
        var spec = Cluster(4, [.. Enumerable.Range(0, 8).Select(_ => new[] { 25.0, 31.25, 37.5, 50 })]);
        var capacity = Planner.Plan(spec, Quick).Capacity;
        Assert.Equal([3, 4, 4, 5], capacity.NeededPerStep);
        Assert.Equal(4, capacity.NodesNow);
        Assert.Equal(5, capacity.NodesNeeded);
        Assert.Equal(1, capacity.Add);
        Assert.Equal(3, capacity.FromStep);
        Assert.Equal(0, capacity.Remove);
        Assert.Empty(capacity.Drain);
    }

    [Fact]
    public void A_trough_over_the_whole_horizon_drains_the_least_loaded_nodes_keeping_one_of_slack()
    {
        // Total load 100 on 6 nodes: 2 needed, 3 kept (one of slack), 3 to drain; p5 sits alone on n5 with 2 ops.
        double[][] loads = [[20, 20], [20, 20], [20, 20], [19, 19], [17, 17], [2, 2]];
        var plan = Planner.Plan(Cluster(6, loads), Quick);
        var capacity = plan.Capacity;
        Assert.Equal(2, capacity.NodesNeeded);
        Assert.Equal(3, capacity.Remove);
        Assert.Equal(0, capacity.Add);
        Assert.Null(capacity.FromStep);
        Assert.Equal(3, capacity.Drain.Count);
        var drainedPeaks = capacity.Drain.Select(id => plan.After.NodePeakUtilisation[plan.Input.NodeIndex[id]]).ToList();
        var keptPeaks = plan.Input.Spec.Nodes.Where(n => !capacity.Drain.Contains(n.Id)).Select(n => plan.After.NodePeakUtilisation[plan.Input.NodeIndex[n.Id]]).ToList();
        Assert.True(drainedPeaks.Max() <= keptPeaks.Min(), "the drained nodes are the least loaded");
        double bytes = plan.Assignment.Select((node, p) => capacity.Drain.Contains(plan.Input.Spec.Nodes[node].Id) ? plan.Input.Spec.Partitions[p].SizeBytes : 0).Sum();
        Assert.Equal(bytes, capacity.DrainBytes);
    }

    [Fact]
    public void A_scale_in_never_leaves_fewer_nodes_than_a_replica_group_has_members()
    {
        double[][] loads = [[5], [5], [5], [5], [5], [5]];
        var capacity = Planner.Plan(Cluster(6, loads, groupSize: 5), Quick).Capacity;
        Assert.Equal(1, capacity.NodesNeeded);
        Assert.Equal(1, capacity.Remove);
    }
}
