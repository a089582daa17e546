using System.Globalization;

namespace Shardcast.Engine.Planning;

/// <summary>One cost term's upper bound over every assignment, and the numbers of the cluster that drive it.</summary>
public sealed record TermBound(string Term, double Bound, string Driver);

/// <summary>
/// Refuses a cluster whose numbers are each finite but whose cost is not representable: a capacity of 1e-300, a
/// load of 1e308 or a weight of 1e308 makes some assignment's cost overflow to infinity, which no search can rank
/// and no plan file can carry. Every term of the one cost (docs/cost.md, native and extended terms) is bounded from above
/// over all assignments, loosely but cheaply (O(nodes x resources + partitions + edges)); a bound above
/// <see cref="Limit"/> is refused with the term and the numbers that drive it.
/// </summary>
public static class CostRange
{
    /// <summary>
    /// The largest bound accepted. The kernels hold node terms in single precision (largest 3.4e38) and the search
    /// adds penalties of up to 1e6 per unit of violation, so 1e30 keeps two orders of magnitude in hand; real
    /// clusters' bounds are far below it (docs/architecture.md).
    /// </summary>
    public const double Limit = 1e30;

    /// <summary>Throws <see cref="PlanningException"/> naming the first term whose bound is not representable.</summary>
    public static void Check(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        double totalSize = 0;
        foreach (var p in input.Spec.Partitions)
        {
            totalSize += p.SizeBytes;
        }

        if (!double.IsFinite(totalSize))
        {
            throw Refuse("the partitions' size_bytes sum past double precision's range; the migration term divides by that sum");
        }

        foreach (var term in Bounds(input))
        {
            if (!(term.Bound <= Limit))
            {
                throw Refuse($"its {term.Term} term could reach {Number(term.Bound)}, past the {Number(Limit)} the search can rank: {term.Driver}");
            }
        }
    }

    /// <summary>An upper bound of every term over all assignments of the cluster's partitions to its nodes.</summary>
    public static IReadOnlyList<TermBound> Bounds(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var spec = input.Spec;
        var w = spec.Objective;
        int partitions = spec.Partitions.Count;
        double largestDistance = input.ZoneDistance.Length == 0 ? 0 : input.ZoneDistance.Max();
        double affinity = spec.Affinity.Sum(e => e.Weight);
        double moveCosts = spec.Partitions.Sum(p => p.MoveCost);
        double largestNodeMove = input.NodeMoveCost is { } m ? m.Max() : 0;
        var bounds = new List<TermBound>
        {
            NodeTerms(input),
            new("migration", w.WMove * largestDistance, $"w_move {Number(w.WMove)} times the largest zone distance {Number(largestDistance)}"),
            new("affinity", w.WAffinity * affinity, $"w_aff {Number(w.WAffinity)} times the affinity weights' sum {Number(affinity)}"),
            new("lineage", w.WLineage * partitions, $"w_lin {Number(w.WLineage)} times {partitions} partitions"),
            new("partition move cost", w.WPartitionMove * moveCosts, $"w_partition_move {Number(w.WPartitionMove)} times the partitions' move_cost sum {Number(moveCosts)}"),
            new("group move cost", w.WGroupMove * partitions, $"w_group_move {Number(w.WGroupMove)} times {partitions} partitions"),
            new("node move cost", w.WNodeMove * largestNodeMove * partitions, $"w_node_move {Number(w.WNodeMove)} times the largest node move cost {Number(largestNodeMove)} times {partitions} partitions"),
            Safety(input),
        };
        bounds.AddRange(ResourceBalance(input));
        return bounds;
    }

    /// <summary>
    /// Balance, headroom, overload and transient overload. With every node's capacity relative to its resource's
    /// mean (they sum to the node count), a node's utilisation at most twice a step's whole load on the smallest
    /// node (twice: a transient resource also loads the node a partition leaves) and the cluster utilisation U, the
    /// node terms of a step and resource sum to at most nodes x ((w_bal + w_over) x (u_max + U)^2 + 2 u_max).
    /// </summary>
    private static TermBound NodeTerms(PlanningInput input)
    {
        var spec = input.Spec;
        var w = spec.Objective;
        int resources = input.Resources;
        int nodes = spec.Nodes.Count;
        double bound = 0, worstUtilisation = 0;
        int worstLane = 0, worstNode = 0;
        for (int r = 0; r < resources; r++)
        {
            int smallest = 0;
            for (int n = 1; n < nodes; n++)
            {
                if (input.Capacity(n, r) < input.Capacity(smallest, r))
                {
                    smallest = n;
                }
            }

            for (int h = 0; h < input.Steps; h++)
            {
                int k = (h * resources) + r;
                double utilisation = 2 * input.LaneLoad[k] / input.Capacity(smallest, r);
                double cluster = input.ActiveCapacity[r] > 0 ? input.LaneLoad[k] / input.ActiveCapacity[r] : 0;
                bound += nodes * (((w.WBalance + w.WOver) * (utilisation + cluster) * (utilisation + cluster)) + (2 * utilisation));
                if (!(utilisation <= worstUtilisation))
                {
                    (worstUtilisation, worstLane, worstNode) = (utilisation, k, smallest);
                }
            }
        }

        int worstResource = worstLane % resources;
        return new TermBound("balance and headroom", bound, string.Create(CultureInfo.InvariantCulture,
            $"the load of '{spec.Resources[worstResource]}' at step {worstLane / resources} totals {Number(input.LaneLoad[worstLane])} and node '{spec.Nodes[worstNode].Id}' has a capacity of {Number(input.Capacity(worstNode, worstResource))} of it: a node's utilisation could reach {Number(worstUtilisation)}, squared in the cost and weighted by w_bal {Number(w.WBalance)} and w_over {Number(w.WOver)}"));
    }

    /// <summary>Load above safety capacities: at most a step's whole load, per resource weighted.</summary>
    private static TermBound Safety(PlanningInput input)
    {
        var w = input.Spec.Objective;
        double safety = 0;
        for (int k = 0; k < input.LaneLoad.Length; k++)
        {
            safety += w.SafetyWeight(k % input.Resources) * input.LaneLoad[k];
        }

        return new TermBound("safety excess", safety, "the w_safety weights times the planning load");
    }

    /// <summary>A balance term's shortfall at a node and step is at most target x (c_a + l_a) + c_b + l_b.</summary>
    private static IEnumerable<TermBound> ResourceBalance(PlanningInput input)
    {
        var spec = input.Spec;
        int resources = input.Resources;
        foreach (var term in spec.Objective.ResourceBalance)
        {
            int a = input.ResourceIndex[term.A];
            int b = input.ResourceIndex[term.B];
            double capacityA = spec.Nodes.Sum(n => n.Capacity[a]);
            double capacityB = spec.Nodes.Sum(n => n.Capacity[b]);
            double bound = 0;
            for (int h = 0; h < input.Steps; h++)
            {
                bound += term.Weight * ((term.Target * (capacityA + input.LaneLoad[(h * resources) + a])) + capacityB + input.LaneLoad[(h * resources) + b]);
            }

            yield return new TermBound($"resource balance of '{term.A}' against '{term.B}'", bound, $"weight {Number(term.Weight)} and target {Number(term.Target)} against the capacities and loads of both resources");
        }
    }

    private static PlanningException Refuse(string why) => new($"the cluster's numbers do not fit the cost's range: {why}");

    private static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
