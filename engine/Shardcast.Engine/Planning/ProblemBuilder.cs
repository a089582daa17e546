using Shardcast.Engine.Cluster;
using Shardcast.Kernels.Problem;

namespace Shardcast.Engine.Planning;

/// <summary>
/// Flattens a <see cref="PlanningInput"/> into the kernels' struct-of-arrays problem. Loads and capacities are
/// divided by each resource's mean node capacity (docs/architecture.md explains why the cost uses relative
/// capacities), rows are padded to the SIMD stride with lanes that cost nothing.
/// </summary>
public static class ProblemBuilder
{
    public static FlatProblem Build(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var spec = input.Spec;
        int partitions = spec.Partitions.Count;
        int nodes = spec.Nodes.Count;
        int steps = input.Steps;
        int resources = input.Resources;
        var problem = new FlatProblem(partitions, nodes, steps, resources, input.Zones.Count);
        int stride = problem.Stride;
        var objective = spec.Objective;
        problem.Weights = new CostWeights(objective.WBalance, objective.WOver, objective.Theta, objective.WMove, objective.WAffinity, objective.WLineage);

        double[] scale = RelativeScale(input);
        double[] utilisation = ClusterUtilisation(input);
        for (int n = 0; n < nodes; n++)
        {
            int o = n * stride;
            for (int k = 0; k < stride; k++)
            {
                if (k < steps * resources)
                {
                    int r = k % resources;
                    double c = input.Capacity(n, r) / scale[r];
                    problem.Capacity[o + k] = (float)c;
                    problem.InverseCapacity[o + k] = (float)(1 / c);
                    problem.BalanceTarget[o + k] = (float)(utilisation[k] * c);
                    problem.HeadroomLimit[o + k] = (float)(objective.Theta * c);
                }
                else
                {
                    // Padding: zero load against capacity 1 contributes nothing to any term.
                    problem.Capacity[o + k] = 1;
                    problem.InverseCapacity[o + k] = 1;
                    problem.BalanceTarget[o + k] = 0;
                    problem.HeadroomLimit[o + k] = (float)objective.Theta;
                }
            }

            problem.NodeZone[n] = input.NodeZone[n];
        }

        double totalSize = spec.Partitions.Sum(p => p.SizeBytes);
        for (int p = 0; p < partitions; p++)
        {
            var part = spec.Partitions[p];
            float heat = 0;
            for (int k = 0; k < steps * resources; k++)
            {
                float v = (float)(input.Load[p][k] / scale[k % resources]);
                problem.Load[(p * stride) + k] = v;
                heat = MathF.Max(heat, v);
            }

            problem.Heat[p] = heat;
            problem.SizeBytes[p] = part.SizeBytes;
            problem.SizeFraction[p] = totalSize > 0 ? (float)(part.SizeBytes / totalSize) : 0f;
            problem.Initial[p] = input.Initial[p];
            problem.Pinned[p] = part.Pinned;
            problem.GroupOf[p] = input.GroupOf[p];
            problem.Parent[p] = part.Parent is { } parent ? input.PartitionIndex[parent] : -1;
        }

        for (int a = 0; a < input.Zones.Count; a++)
        {
            for (int b = 0; b < input.Zones.Count; b++)
            {
                problem.ZoneDistance[(a * input.Zones.Count) + b] = (float)input.ZoneDistance[(a * input.Zones.Count) + b];
            }
        }

        BuildDomains(input, problem);
        BuildGroups(input, problem);
        BuildCoupling(input, problem);
        if (spec.UsesExtendedModel)
        {
            problem.Extensions = BuildExtensions(input, problem, scale);
        }

        problem.MaxMoves = spec.Budget.MaxMoves ?? int.MaxValue;
        problem.MaxBytes = spec.Budget.MaxBytes ?? double.PositiveInfinity;
        problem.Validate();
        return problem;
    }

    /// <summary>Each resource's mean node capacity: the unit that makes resources comparable.</summary>
    public static double[] RelativeScale(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var scale = new double[input.Resources];
        for (int r = 0; r < input.Resources; r++)
        {
            scale[r] = input.Spec.Nodes.Average(n => n.Capacity[r]);
        }

        return scale;
    }

    /// <summary>U[h,r] = total load / total capacity of the nodes that may hold partitions (draining ones excluded).</summary>
    public static double[] ClusterUtilisation(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.LaneLoad.Select((load, k) => load / input.ActiveCapacity[k % input.Resources]).ToArray();
    }

    private static void BuildDomains(PlanningInput input, FlatProblem problem)
    {
        var masks = new ulong[input.Domains.Length * problem.NodeWords];
        for (int d = 0; d < input.Domains.Length; d++)
        {
            for (int n = 0; n < problem.Nodes; n++)
            {
                if (input.Domains[d][n])
                {
                    masks[(d * problem.NodeWords) + (n >> 6)] |= 1UL << (n & 63);
                }
            }
        }

        problem.DomainMasks = masks;
        input.DomainOf.CopyTo(problem.DomainOf, 0);
    }

    private static void BuildGroups(PlanningInput input, FlatProblem problem)
    {
        int groups = input.GroupNames.Count;
        var start = new int[groups + 1];
        foreach (int g in input.GroupOf)
        {
            if (g >= 0)
            {
                start[g + 1]++;
            }
        }

        for (int g = 0; g < groups; g++)
        {
            start[g + 1] += start[g];
        }

        var members = new int[start[groups]];
        var fill = start[..groups].ToArray();
        for (int p = 0; p < input.GroupOf.Length; p++)
        {
            int g = input.GroupOf[p];
            if (g >= 0)
            {
                members[fill[g]++] = p;
            }
        }

        problem.GroupStart = start;
        problem.GroupMembers = members;
        problem.GroupMinZones = input.GroupMinZones.ToArray();
    }

    /// <summary>The extended model's arrays: loads and capacities in the cluster's own units, in double precision.</summary>
    private static ProblemExtensions BuildExtensions(PlanningInput input, FlatProblem problem, double[] scale)
    {
        var spec = input.Spec;
        var objective = spec.Objective;
        int resources = input.Resources;
        var x = new ProblemExtensions(problem.Partitions, problem.Nodes, input.Steps, resources, problem.Groups)
        {
            HardCapacity = objective.HardCapacity,
            PartitionMoveWeight = objective.WPartitionMove,
            GroupMoveWeight = objective.WGroupMove,
            NodeMoveWeight = objective.WNodeMove,
            NodeMoveCost = input.NodeMoveCost, // read-only from here on: the input built it for this problem
            Neighborhoods = input.Neighborhoods.Count,
        };
        for (int p = 0; p < problem.Partitions; p++)
        {
            input.Load[p].CopyTo(x.Load, p * x.Width);
            x.MoveCost[p] = spec.Partitions[p].MoveCost;
        }

        for (int n = 0; n < problem.Nodes; n++)
        {
            for (int r = 0; r < resources; r++)
            {
                x.Capacity[(n * resources) + r] = spec.Nodes[n].Capacity[r];
                x.Safety[(n * resources) + r] = spec.Nodes[n].SafetyOf(r);
            }

            x.NodeNeighborhood[n] = input.NodeNeighborhood[n];
        }

        for (int r = 0; r < resources; r++)
        {
            x.SafetyWeight[r] = objective.SafetyWeight(r);
            x.Transient[r] = input.Transient[r];
            x.RelativeScale[r] = scale[r];
        }

        x.BalanceA = objective.ResourceBalance.Select(b => input.ResourceIndex[b.A]).ToArray();
        x.BalanceB = objective.ResourceBalance.Select(b => input.ResourceIndex[b.B]).ToArray();
        x.BalanceTarget = objective.ResourceBalance.Select(b => b.Target).ToArray();
        x.BalanceWeight = objective.ResourceBalance.Select(b => b.Weight).ToArray();

        (x.DependsStart, x.DependsOn) = Csr(input.GroupDependsOn);
        var dependents = Enumerable.Range(0, input.GroupDependsOn.Length).Select(_ => new List<int>()).ToArray();
        for (int g = 0; g < input.GroupDependsOn.Length; g++)
        {
            foreach (int needed in input.GroupDependsOn[g])
            {
                dependents[needed].Add(g);
            }
        }

        (x.DependentStart, x.Dependents) = Csr(dependents.Select(d => d.ToArray()).ToArray());
        return x;
    }

    private static (int[] Start, int[] Items) Csr(int[][] lists)
    {
        var start = new int[lists.Length + 1];
        for (int i = 0; i < lists.Length; i++)
        {
            start[i + 1] = start[i] + lists[i].Length;
        }

        return (start, lists.SelectMany(l => l).ToArray());
    }

    private static void BuildCoupling(PlanningInput input, FlatProblem problem)
    {
        var spec = input.Spec;
        var edges = new List<(int From, int To, float Weight)>();
        var affinityA = new int[spec.Affinity.Count];
        var affinityB = new int[spec.Affinity.Count];
        var affinityWeight = new float[spec.Affinity.Count];
        for (int e = 0; e < spec.Affinity.Count; e++)
        {
            var edge = spec.Affinity[e];
            int a = input.PartitionIndex[edge.A];
            int b = input.PartitionIndex[edge.B];
            affinityA[e] = a;
            affinityB[e] = b;
            affinityWeight[e] = (float)edge.Weight;
            float w = (float)(spec.Objective.WAffinity * edge.Weight);
            edges.Add((a, b, w));
            edges.Add((b, a, w));
        }

        float lineage = (float)spec.Objective.WLineage;
        for (int p = 0; p < problem.Partitions; p++)
        {
            int parent = problem.Parent[p];
            if (parent >= 0)
            {
                edges.Add((p, parent, lineage));
                edges.Add((parent, p, lineage));
            }
        }

        var start = new int[problem.Partitions + 1];
        foreach (var (from, _, _) in edges)
        {
            start[from + 1]++;
        }

        for (int p = 0; p < problem.Partitions; p++)
        {
            start[p + 1] += start[p];
        }

        var target = new int[edges.Count];
        var weight = new float[edges.Count];
        var fill = start[..problem.Partitions].ToArray();
        foreach (var (from, to, w) in edges)
        {
            int at = fill[from]++;
            target[at] = to;
            weight[at] = w;
        }

        problem.CouplingStart = start;
        problem.CouplingTarget = target;
        problem.CouplingWeight = weight;
        problem.AffinityA = affinityA;
        problem.AffinityB = affinityB;
        problem.AffinityWeight = affinityWeight;
    }
}
