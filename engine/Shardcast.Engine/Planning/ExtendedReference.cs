using System.Globalization;
using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Planning;

/// <summary>The extended model's terms, judged in double precision.</summary>
internal readonly record struct ExtendedTerms(
    double Safety, double ResourceBalance, double PartitionMove, double GroupMove, double NodeMove, double TransientOverload, int Violations);

/// <summary>
/// The extended model's terms and constraints (docs/architecture.md) computed the obvious way: safety
/// excess, balance between two resources, the three move costs, hard and transient capacity, group
/// dependencies over neighbourhoods. Part of <see cref="ReferenceCost"/>.
/// </summary>
internal static class ExtendedReference
{
    /// <param name="scale">Each resource's relative unit (<see cref="ProblemBuilder.RelativeScale"/>), which the caller has already.</param>
    public static ExtendedTerms Evaluate(PlanningInput input, IReadOnlyList<int> assignment, double[,] load, double[] scale, List<string> broken)
    {
        var spec = input.Spec;
        var objective = spec.Objective;
        int nodes = spec.Nodes.Count;
        int resources = input.Resources;
        int width = input.Steps * resources;

        var departed = new double[nodes, width];
        for (int p = 0; p < assignment.Count; p++)
        {
            int home = input.Initial[p];
            if (assignment[p] != home)
            {
                for (int k = 0; k < width; k++)
                {
                    departed[home, k] += input.Transient[k % resources] ? input.Load[p][k] : 0;
                }
            }
        }

        double safety = 0, balance = 0, transientOverload = 0;
        int violations = 0;
        for (int n = 0; n < nodes; n++)
        {
            var node = spec.Nodes[n];
            for (int k = 0; k < width; k++)
            {
                int r = k % resources;
                double c = node.Capacity[r];
                safety += objective.SafetyWeight(r) * Math.Max(0, load[n, k] - node.SafetyOf(r));
                double held = load[n, k] + departed[n, k];
                if (objective.HardCapacity && load[n, k] > c)
                {
                    violations++;
                    broken.Add(Format($"node '{node.Id}' carries {load[n, k]:G6} of '{spec.Resources[r]}' at step {k / resources}, over its capacity {c:G6}"));
                }

                if (input.Transient[r] && held > c && held > load[n, k])
                {
                    if (objective.HardCapacity)
                    {
                        violations++;
                        broken.Add(Format($"node '{node.Id}' holds {held:G6} of transient '{spec.Resources[r]}' at step {k / resources} (with partitions moving away), over its capacity {c:G6}"));
                    }
                    else
                    {
                        transientOverload += (Math.Max(0, held - c) - Math.Max(0, load[n, k] - c)) / scale[r];
                    }
                }
            }

            foreach (var term in objective.ResourceBalance)
            {
                int a = input.ResourceIndex[term.A];
                int b = input.ResourceIndex[term.B];
                for (int h = 0; h < input.Steps; h++)
                {
                    double availableA = node.Capacity[a] - load[n, (h * resources) + a];
                    double availableB = node.Capacity[b] - load[n, (h * resources) + b];
                    balance += term.Weight * Math.Max(0, (term.Target * availableA) - availableB);
                }
            }
        }

        double partitionMove = 0, nodeMove = 0;
        var movedInGroup = new int[input.GroupNames.Count];
        for (int p = 0; p < assignment.Count; p++)
        {
            int home = input.Initial[p];
            nodeMove += input.MoveCostBetween(home, assignment[p]);
            if (assignment[p] != home)
            {
                partitionMove += spec.Partitions[p].MoveCost;
                if (input.GroupOf[p] >= 0)
                {
                    movedInGroup[input.GroupOf[p]]++;
                }
            }
        }

        violations += CheckDependencies(input, assignment, broken);
        return new ExtendedTerms(
            safety,
            balance,
            objective.WPartitionMove * partitionMove,
            objective.WGroupMove * (movedInGroup.Length == 0 ? 0 : movedInGroup.Max()),
            objective.WNodeMove * nodeMove,
            transientOverload,
            violations);
    }

    /// <summary>One violation per (group, group it depends on, neighbourhood the first occupies and the second does not).</summary>
    private static int CheckDependencies(PlanningInput input, IReadOnlyList<int> assignment, List<string> broken)
    {
        int groups = input.GroupNames.Count;
        if (input.GroupDependsOn.All(d => d.Length == 0))
        {
            return 0;
        }

        var occupied = new HashSet<int>[groups];
        for (int g = 0; g < groups; g++)
        {
            occupied[g] = [];
        }

        for (int p = 0; p < assignment.Count; p++)
        {
            if (input.GroupOf[p] >= 0)
            {
                occupied[input.GroupOf[p]].Add(input.NodeNeighborhood[assignment[p]]);
            }
        }

        int violations = 0;
        for (int g = 0; g < groups; g++)
        {
            foreach (int needed in input.GroupDependsOn[g])
            {
                foreach (int n in occupied[g].Where(n => !occupied[needed].Contains(n)).Order())
                {
                    violations++;
                    broken.Add($"group '{input.GroupNames[g]}' has members in neighbourhood '{input.Neighborhoods[n]}', where group '{input.GroupNames[needed]}' it depends on has none");
                }
            }
        }

        return violations;
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
