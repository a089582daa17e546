using System.Globalization;
using Shardcast.Engine.Cluster;
using Shardcast.Kernels.Problem;

namespace Shardcast.Engine.Planning;

/// <summary>
/// The one cost (docs/cost.md) in double precision, computed the obvious way from the planning input, with
/// every hard constraint checked and named. It is the judge every backend is tested against, and what plan
/// files report. Capacities enter the cost relative to the resource's mean node capacity
/// (docs/architecture.md).
/// </summary>
public static class ReferenceCost
{
    public static ReferenceEvaluation Evaluate(PlanningInput input, IReadOnlyList<int> assignment)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(assignment);
        var spec = input.Spec;
        int nodes = spec.Nodes.Count;
        int partitions = spec.Partitions.Count;
        if (assignment.Count != partitions)
        {
            throw new ArgumentException($"The assignment covers {assignment.Count} partitions; the cluster has {partitions}.", nameof(assignment));
        }

        int width = input.Steps * input.Resources;
        var load = new double[nodes, width];
        for (int p = 0; p < partitions; p++)
        {
            for (int k = 0; k < width; k++)
            {
                load[assignment[p], k] += input.Load[p][k];
            }
        }

        double[] scale = ProblemBuilder.RelativeScale(input);
        double[] u = ProblemBuilder.ClusterUtilisation(input);
        var w = spec.Objective;
        double balance = 0, headroom = 0, overload = 0;
        var peaks = new double[nodes];
        for (int n = 0; n < nodes; n++)
        {
            for (int k = 0; k < width; k++)
            {
                int r = k % input.Resources;
                double capacity = input.Capacity(n, r);
                double relative = capacity / scale[r];
                double utilisation = load[n, k] / capacity;
                peaks[n] = Math.Max(peaks[n], utilisation);
                balance += relative * Square(utilisation - u[k]);
                headroom += relative * Square(Math.Max(0, utilisation - w.Theta));
                overload += relative * Math.Max(0, utilisation - 1);
            }
        }

        double totalSize = spec.Partitions.Sum(p => p.SizeBytes);
        double migration = 0, movedBytes = 0;
        int moves = 0;
        for (int p = 0; p < partitions; p++)
        {
            int from = input.Initial[p];
            int to = assignment[p];
            if (from != to)
            {
                moves++;
                movedBytes += spec.Partitions[p].SizeBytes;
                double distance = input.ZoneDistance[(input.NodeZone[from] * input.Zones.Count) + input.NodeZone[to]];
                migration += totalSize > 0 ? spec.Partitions[p].SizeBytes * distance / totalSize : 0;
            }
        }

        double affinity = 0;
        foreach (var edge in spec.Affinity)
        {
            if (assignment[input.PartitionIndex[edge.A]] != assignment[input.PartitionIndex[edge.B]])
            {
                affinity += edge.Weight;
            }
        }

        double lineage = 0;
        for (int p = 0; p < partitions; p++)
        {
            if (spec.Partitions[p].Parent is { } parent && assignment[p] != assignment[input.PartitionIndex[parent]])
            {
                lineage++;
            }
        }

        var broken = BrokenConstraints(input, assignment, moves, movedBytes, out int violations);
        var extended = ExtendedReference.Evaluate(input, assignment, load, scale, broken);

        // With hard capacity an overloaded lane is a broken constraint, counted once, among the violations.
        overload = w.HardCapacity ? 0 : overload + extended.TransientOverload;
        var cost = new CostBreakdown(
            w.WBalance * balance, w.WOver * headroom, w.WMove * migration, w.WAffinity * affinity, w.WLineage * lineage, overload, violations + extended.Violations,
            extended.Safety, extended.ResourceBalance, extended.PartitionMove, extended.GroupMove, extended.NodeMove);
        return new ReferenceEvaluation(cost, peaks, moves, movedBytes, broken);
    }

    /// <summary>
    /// Every broken hard constraint in words. <paramref name="violations"/> counts them the way the search does
    /// (a partition on a forbidden node, each replica beyond the first on a node, each zone a group lacks); the
    /// words also cover moved pinned partitions and an exceeded budget, which the search never produces.
    /// </summary>
    private static List<string> BrokenConstraints(PlanningInput input, IReadOnlyList<int> assignment, int moves, double movedBytes, out int violations)
    {
        var spec = input.Spec;
        var broken = new List<string>();
        violations = 0;
        for (int p = 0; p < spec.Partitions.Count; p++)
        {
            var part = spec.Partitions[p];
            var node = spec.Nodes[assignment[p]];
            if (part.Pinned && assignment[p] != input.Initial[p])
            {
                broken.Add($"pinned partition '{part.Id}' moved from '{part.Node}' to '{node.Id}'");
            }

            if (!input.IsAllowed(p, assignment[p]))
            {
                violations++;
                broken.Add(node.State == NodeState.Draining
                    ? $"partition '{part.Id}' is on draining node '{node.Id}'"
                    : $"partition '{part.Id}' is on node '{node.Id}', outside tenant '{part.Tenant}'");
            }
        }

        var groupMembers = new List<int>[input.GroupNames.Count];
        for (int g = 0; g < groupMembers.Length; g++)
        {
            groupMembers[g] = [];
        }

        for (int p = 0; p < spec.Partitions.Count; p++)
        {
            if (input.GroupOf[p] >= 0)
            {
                groupMembers[input.GroupOf[p]].Add(p);
            }
        }

        for (int g = 0; g < groupMembers.Length; g++)
        {
            var members = groupMembers[g];
            foreach (var shared in members.GroupBy(p => assignment[p]).Where(x => x.Count() > 1))
            {
                violations += shared.Count() - 1;
                broken.Add($"group '{input.GroupNames[g]}' has {shared.Count()} replicas on node '{spec.Nodes[shared.Key].Id}' ({string.Join(", ", shared.Select(p => spec.Partitions[p].Id))})");
            }

            int zones = members.Select(p => input.NodeZone[assignment[p]]).Distinct().Count();
            if (zones < input.GroupMinZones[g])
            {
                violations += input.GroupMinZones[g] - zones;
                broken.Add($"group '{input.GroupNames[g]}' spans {zones} zones, fewer than its min_zones {input.GroupMinZones[g]}");
            }
        }

        if (spec.Budget.MaxMoves is { } maxMoves && moves > maxMoves)
        {
            broken.Add($"the plan moves {moves} partitions, over budget.max_moves {maxMoves}");
        }

        if (spec.Budget.MaxBytes is { } maxBytes && movedBytes > maxBytes)
        {
            broken.Add(string.Create(CultureInfo.InvariantCulture, $"the plan moves {movedBytes:0} bytes, over budget.max_bytes {maxBytes:0}"));
        }

        return broken;
    }

    private static double Square(double x) => x * x;
}
