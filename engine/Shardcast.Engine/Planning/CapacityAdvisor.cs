using Shardcast.Engine.Cluster;
using Shardcast.Kernels;

namespace Shardcast.Engine.Planning;

/// <summary>
/// When no assignment fits the current nodes, finds how many nodes of the median capacity would make one
/// fit: a lower bound from total load against total capacity, then real searches on the cluster with that
/// many extra nodes (usable by every tenant), doubling until one fits and bisecting back to the smallest count
/// that does.
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

        if (plan.After.Cost.Overload <= 1e-9)
        {
            bool budgetSpent = (spec.Budget.MaxMoves is { } maxMoves && plan.After.Moves >= maxMoves)
                || (spec.Budget.MaxBytes is { } maxBytes && plan.After.MovedBytes >= 0.98 * maxBytes);
            return new ScalingAdvice(null, median, $"every node is within capacity at every step, so more nodes would not help; the plan breaks: {plan.After.Broken[0]}"
                + (budgetSpent ? "; the move budget is spent, so raising budget.max_moves or budget.max_bytes may" : string.Empty));
        }

        int lower = LowerBound(input, median);
        int upper = -1;
        int probes = 0;
        var probeOptions = searchOptions with
        {
            Progress = null,
            TimeBudget = TimeSpan.FromMilliseconds(Math.Max(200, (searchOptions.TimeBudget ?? TimeSpan.FromSeconds(2)).TotalMilliseconds / 4)),
        };

        // Double until feasible.
        int k = lower;
        while (probes < MaxProbes && k <= Math.Max(64, 4 * spec.Nodes.Count))
        {
            probes++;
            if (FitsWith(input, plan, median, k, backend, probeOptions, cancellationToken))
            {
                upper = k;
                break;
            }

            lower = k + 1;
            k *= 2;
        }

        if (upper < 0)
        {
            return new ScalingAdvice(null, median, $"adding up to {k / 2} nodes of the median capacity did not bring every node within capacity within the probe budget (tenant node sets or the move budget may bind)");
        }

        // Bisect down to the smallest count that is feasible.
        while (lower < upper && probes < MaxProbes)
        {
            probes++;
            int mid = lower + ((upper - lower) / 2);
            if (FitsWith(input, plan, median, mid, backend, probeOptions, cancellationToken))
            {
                upper = mid;
            }
            else
            {
                lower = mid + 1;
            }
        }

        return new ScalingAdvice(upper, median, $"with {upper} more node(s) of the median capacity a search found an assignment with every node within capacity at every step"
            + (plan.After.Broken.Count > 0 ? $"; still broken, whatever the nodes: {plan.After.Broken[0]}" : string.Empty));
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
            bound = Math.Max(bound, (int)Math.Ceiling((input.LaneLoad[k] - input.ActiveCapacity[r]) / median[r]));
        }

        return bound;
    }

    /// <summary>Whether, with extra nodes, a search puts every node within capacity without breaking more constraints than the plan.</summary>
    private static bool FitsWith(PlanningInput input, Plan plan, double[] median, int extra, ISearchBackend backend, SearchOptions options, CancellationToken cancellationToken)
    {
        var spec = input.Spec;
        var zones = input.Zones;
        var nodes = spec.Nodes.ToList();
        for (int i = 0; i < extra; i++)
        {
            nodes.Add(new NodeSpec($"advice-node-{i}", median, zones[i % zones.Count], NodeState.New));
        }

        // The operator decides which tenants get new nodes; the advice assumes every tenant may use them.
        var added = nodes.Skip(spec.Nodes.Count).Select(n => n.Id).ToList();
        var tenants = spec.Tenants.Select(t => t with { Nodes = [.. t.Nodes, .. added] }).ToList();
        var grown = PlanningInput.From(spec with { Nodes = nodes, Tenants = tenants }, input.ForecastNetwork);
        var problem = ProblemBuilder.Build(grown);
        var result = backend.Search(problem, grown.Initial, options, cancellationToken);
        var evaluation = ReferenceCost.Evaluate(grown, result.Assignment);
        return evaluation.Cost.Overload <= 1e-9 && evaluation.Broken.Count <= plan.After.Broken.Count;
    }
}
