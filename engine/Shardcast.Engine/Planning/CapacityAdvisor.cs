using Shardcast.Engine.Cluster;
using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Planning;

/// <summary>
/// When no assignment fits the current nodes, finds how many nodes of the median capacity would make one
/// fit: a lower bound from total load against total capacity, then real searches on the cluster with that
/// many extra nodes, doubling until one is feasible and bisecting back to the smallest count that is.
/// </summary>
public static class CapacityAdvisor
{
    private const int MaxProbes = 8;

    public static ScalingAdvice Advise(PlanningInput input, Plan plan, ISearchBackend backend, SearchOptions searchOptions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(searchOptions);
        var spec = input.Spec;
        double[] median = MedianCapacity(spec);
        if (plan.After.Feasible)
        {
            return ScalingAdvice.None(median);
        }

        int lower = LowerBound(input, median);
        int upper = -1;
        int probes = 0;
        var probeOptions = searchOptions with
        {
            TimeBudget = TimeSpan.FromMilliseconds(Math.Max(200, (searchOptions.TimeBudget ?? TimeSpan.FromSeconds(2)).TotalMilliseconds / 4)),
            MaxStepsPerChain = searchOptions.MaxStepsPerChain is { } s ? Math.Max(1, s / 4) : null,
        };

        // Double until feasible.
        int k = lower;
        while (probes < MaxProbes && k <= Math.Max(64, 4 * spec.Nodes.Count))
        {
            probes++;
            if (FeasibleWith(input, median, k, backend, probeOptions, cancellationToken))
            {
                upper = k;
                break;
            }

            lower = k + 1;
            k *= 2;
        }

        if (upper < 0)
        {
            return new ScalingAdvice(null, median, plan.After.Broken.Count > 0
                ? $"adding nodes did not make the plan feasible; hard constraints stay broken (first: {plan.After.Broken[0]})"
                : $"adding up to {k / 2} nodes of the median capacity did not make the plan feasible within the probe budget (tenant node sets or the move budget may bind)");
        }

        // Bisect down to the smallest count that is feasible.
        while (lower < upper && probes < MaxProbes)
        {
            probes++;
            int mid = lower + ((upper - lower) / 2);
            if (FeasibleWith(input, median, mid, backend, probeOptions, cancellationToken))
            {
                upper = mid;
            }
            else
            {
                lower = mid + 1;
            }
        }

        return new ScalingAdvice(upper, median, $"with {upper} more node(s) of the median capacity a search found an assignment with every node within capacity at every step");
    }

    public static double[] MedianCapacity(ClusterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var median = new double[spec.Resources.Count];
        for (int r = 0; r < median.Length; r++)
        {
            var sorted = spec.Nodes.Select(n => n.Capacity[r]).Order().ToArray();
            median[r] = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        return median;
    }

    /// <summary>Nodes needed for total capacity to cover total load at every step: at least one.</summary>
    private static int LowerBound(PlanningInput input, double[] median)
    {
        int width = input.Steps * input.Resources;
        int bound = 1;
        for (int k = 0; k < width; k++)
        {
            int r = k % input.Resources;
            double load = input.Load.Sum(row => row[k]);
            double capacity = input.Spec.Nodes.Where(n => n.State != NodeState.Draining).Sum(n => n.Capacity[r]);
            bound = Math.Max(bound, (int)Math.Ceiling((load - capacity) / median[r]));
        }

        return bound;
    }

    private static bool FeasibleWith(PlanningInput input, double[] median, int extra, ISearchBackend backend, SearchOptions options, CancellationToken cancellationToken)
    {
        var spec = input.Spec;
        var zones = input.Zones;
        var nodes = spec.Nodes.ToList();
        for (int i = 0; i < extra; i++)
        {
            nodes.Add(new NodeSpec($"advice-node-{i}", median, zones[i % zones.Count], NodeState.New));
        }

        var grown = PlanningInput.From(spec with { Nodes = nodes });
        var problem = ProblemBuilder.Build(grown);
        var result = backend.Search(problem, grown.Initial, options, cancellationToken);
        return ReferenceCost.Evaluate(grown, result.Assignment).Feasible;
    }
}
