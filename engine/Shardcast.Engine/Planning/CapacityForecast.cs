using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Planning;

/// <summary>
/// Predictive scaling from the horizon: how many nodes of the median capacity the forecast load needs at the
/// objective's theta, step by step, and so how many to add and from which step, or, where the whole horizon's peak
/// needs fewer nodes than there are, how many could be removed and which (the least loaded after the plan, their
/// partitions to be moved off first: a drain). The count is the aggregate bound (the busiest resource's total load
/// over theta times a node's capacity, rounded up), the fewest nodes any placement could use; a scale-in keeps one
/// node of slack above it, and never leaves fewer nodes than a replica group has members.
/// </summary>
public static class CapacityForecast
{
    public static ScalingForecast Compute(Plan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var input = plan.Input;
        var spec = input.Spec;
        double theta = spec.Objective.Theta;
        var median = CapacityAdvisor.MedianCapacity(spec);
        var active = Enumerable.Range(0, spec.Nodes.Count).Where(n => spec.Nodes[n].State != NodeState.Draining).ToList();
        int now = active.Count;
        var needed = new int[input.Steps];
        for (int h = 0; h < input.Steps; h++)
        {
            for (int r = 0; r < input.Resources; r++)
            {
                double load = input.LaneLoad[(h * input.Resources) + r];
                int nodes = median[r] > 0 ? (int)Math.Ceiling((load / (theta * median[r])) - 1e-9) : 0;
                needed[h] = Math.Max(needed[h], nodes);
            }
        }

        int peak = needed.Length == 0 ? 0 : needed.Max();
        int add = Math.Max(0, peak - now);
        int? fromStep = add > 0 ? Array.FindIndex(needed, n => n > now) : null;
        int largestGroup = input.GroupOf.Where(g => g >= 0).GroupBy(g => g).Select(g => g.Count()).DefaultIfEmpty(1).Max();
        int floor = Math.Max(Math.Max(peak + 1, largestGroup), 1);
        int remove = add == 0 ? Math.Max(0, now - floor) : 0;

        // The nodes to drain: the least loaded after the plan, by their peak utilisation.
        var drain = active.OrderBy(n => plan.After.NodePeakUtilisation[n]).ThenBy(n => n).Take(remove).ToList();
        double drainBytes = 0;
        for (int p = 0; p < plan.Assignment.Length; p++)
        {
            if (drain.Contains(plan.Assignment[p]))
            {
                drainBytes += spec.Partitions[p].SizeBytes;
            }
        }

        return new ScalingForecast(now, peak, needed, add, remove, fromStep, [.. drain.Select(n => spec.Nodes[n].Id)], drainBytes);
    }
}

/// <summary>
/// What the horizon asks of the node count: nodes now (not draining), the most needed at any step (and per step),
/// nodes to add and the first step that needs them, or nodes that could be removed, which, and the bytes their
/// partitions hold.
/// </summary>
public sealed record ScalingForecast(int NodesNow, int NodesNeeded, IReadOnlyList<int> NeededPerStep, int Add, int Remove, int? FromStep, IReadOnlyList<string> Drain, double DrainBytes);
