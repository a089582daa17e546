namespace Shardcast.Engine.Planning;

/// <summary>
/// Undoes the moves of a plan that buy no peak: each moved partition, the largest first, goes back to its node
/// where that keeps the node at or under <c>limit</c> at every step and resource, breaks no hard constraint
/// (tenant and draining nodes, replicas apart, a group's zones) and parts no co-accessed pair or split lineage
/// that the move had kept together. The search minimises a balance term too, which keeps moving partitions once
/// every node is inside its target; an operator pays for each of those moves in bytes and gets no headroom for
/// it. Only the basic model is trimmed: the extended model's terms (ROADEF's) are the search's to weigh.
/// </summary>
public static class MoveTrim
{
    /// <summary>The plan with the moves that buy no peak undone, and how many were undone.</summary>
    public static (int[] Assignment, int Undone) Trim(PlanningInput input, IReadOnlyList<int> assignment, double limit)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(assignment);
        var spec = input.Spec;
        int[] a = [.. assignment];
        if (spec.UsesExtendedModel)
        {
            return (a, 0);
        }

        int partitions = spec.Partitions.Count;
        int width = input.Steps * input.Resources;
        var load = new double[spec.Nodes.Count * width];
        for (int p = 0; p < partitions; p++)
        {
            var row = input.Load[p];
            int at = a[p] * width;
            for (int k = 0; k < width; k++)
            {
                load[at + k] += row[k];
            }
        }

        var ties = Ties(input);
        var members = Members(input);
        var moved = Enumerable.Range(0, partitions)
            .Where(p => a[p] != input.Initial[p])
            .OrderByDescending(p => spec.Partitions[p].SizeBytes).ThenBy(p => p)
            .ToList();
        int undone = 0;
        foreach (int p in moved)
        {
            int back = input.Initial[p];
            if (!input.IsAllowed(p, back) || !Fits(input, load, width, p, back, limit) || Parts(ties[p], a, a[p], back) || Crowds(input, members, a, p, back))
            {
                continue;
            }

            var row = input.Load[p];
            int from = a[p] * width, to = back * width;
            for (int k = 0; k < width; k++)
            {
                load[from + k] -= row[k];
                load[to + k] += row[k];
            }

            a[p] = back;
            undone++;
        }

        return (a, undone);
    }

    private static bool Fits(PlanningInput input, double[] load, int width, int p, int node, double limit)
    {
        var row = input.Load[p];
        int at = node * width;
        for (int k = 0; k < width; k++)
        {
            if ((load[at + k] + row[k]) / input.Capacity(node, k % input.Resources) > limit + 1e-12)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether moving to <paramref name="to"/> from <paramref name="from"/> parts more weight of ties than it joins.</summary>
    private static bool Parts(List<(int Other, double Weight)>? ties, int[] a, int from, int to)
    {
        if (ties is null)
        {
            return false;
        }

        double delta = 0;
        foreach (var (other, weight) in ties)
        {
            delta += weight * ((a[other] != to ? 1 : 0) - (a[other] != from ? 1 : 0));
        }

        return delta > 1e-12;
    }

    /// <summary>Whether the node already holds another replica of the partition's group, or the group would span fewer zones than it needs.</summary>
    private static bool Crowds(PlanningInput input, List<int>[] members, int[] a, int p, int node)
    {
        int g = input.GroupOf[p];
        if (g < 0)
        {
            return false;
        }

        var zonesBefore = new HashSet<int>();
        var zonesAfter = new HashSet<int>();
        foreach (int q in members[g])
        {
            zonesBefore.Add(input.NodeZone[a[q]]);
            if (q == p)
            {
                zonesAfter.Add(input.NodeZone[node]);
                continue;
            }

            if (a[q] == node)
            {
                return true;
            }

            zonesAfter.Add(input.NodeZone[a[q]]);
        }

        return zonesAfter.Count < input.GroupMinZones[g] && zonesAfter.Count < zonesBefore.Count;
    }

    /// <summary>Per partition, its affinity edges and split lineage with their weights in the cost.</summary>
    private static List<(int Other, double Weight)>?[] Ties(PlanningInput input)
    {
        var spec = input.Spec;
        var ties = new List<(int, double)>?[spec.Partitions.Count];
        void Tie(int x, int y, double weight)
        {
            if (weight <= 0)
            {
                return;
            }

            (ties[x] ??= []).Add((y, weight));
            (ties[y] ??= []).Add((x, weight));
        }

        foreach (var edge in spec.Affinity)
        {
            Tie(input.PartitionIndex[edge.A], input.PartitionIndex[edge.B], spec.Objective.WAffinity * edge.Weight);
        }

        for (int p = 0; p < spec.Partitions.Count; p++)
        {
            if (spec.Partitions[p].Parent is { } parent)
            {
                Tie(p, input.PartitionIndex[parent], spec.Objective.WLineage);
            }
        }

        return ties;
    }

    private static List<int>[] Members(PlanningInput input)
    {
        var members = new List<int>[input.GroupNames.Count];
        for (int g = 0; g < members.Length; g++)
        {
            members[g] = [];
        }

        for (int p = 0; p < input.GroupOf.Length; p++)
        {
            if (input.GroupOf[p] >= 0)
            {
                members[input.GroupOf[p]].Add(p);
            }
        }

        return members;
    }
}
