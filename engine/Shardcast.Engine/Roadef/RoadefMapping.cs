using System.Globalization;
using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Roadef;

/// <summary>
/// The challenge's instance as an engine cluster (docs/roadef.md has the table): machines are nodes, locations
/// zones, neighbourhoods neighbourhoods; processes are partitions with one horizon step of load; every service
/// is a group (distinct nodes, min_zones = spread minimum, depends_on = its dependencies). The objective
/// switches off the native terms (docs/cost.md) and switches on exactly the challenge's: hard capacity, transient
/// resources, safety excess, resource balance, and the three move costs with the challenge's weights, so the
/// engine's reference cost of any assignment equals the challenge's objective.
/// </summary>
public static class RoadefMapping
{
    public static ClusterSpec ToCluster(RoadefInstance instance, IReadOnlyList<int> initial)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(initial);
        int resources = instance.Resources.Length;
        if (resources is 0 or > ClusterSpec.MaxResources)
        {
            throw new RoadefFormatException($"the instance has {resources} resources; the engine plans 1 to {ClusterSpec.MaxResources}");
        }

        var resourceNames = Enumerable.Range(0, resources).Select(r => Name("r", r)).ToArray();
        var nodes = instance.Machines.Select((m, i) => new NodeSpec(Name("m", i), ToDoubles(m.Capacity), Name("loc", m.Location), NodeState.Active)
        {
            Safety = ToDoubles(m.SafetyCapacity),
            Neighborhood = Name("nb", m.Neighborhood),
        }).ToArray();
        var partitions = instance.Processes.Select((p, i) => new PartitionSpec(
            Name("p", i), Name("m", initial[i]), 0, null, Name("s", p.Service), null, false,
            new Dictionary<string, string>(StringComparer.Ordinal), [ToDoubles(p.Requirement)], null)
        {
            MoveCost = p.MoveCost,
        }).ToArray();
        var groups = instance.Services.Select((s, i) => new GroupSpec(Name("s", i), Math.Max(1, s.SpreadMin))
        {
            DependsOn = s.DependsOn.Where(d => d != i).Distinct().Select(d => Name("s", d)).ToArray(),
        }).ToArray();
        int machines = instance.Machines.Length;
        double[]? nodeMoveCost = null;
        for (int a = 0; a < machines; a++)
        {
            var row = instance.Machines[a].MoveCost;
            for (int b = 0; b < machines; b++)
            {
                if (row[b] != 0)
                {
                    nodeMoveCost ??= new double[machines * machines];
                    nodeMoveCost[(a * machines) + b] = row[b];
                }
            }
        }

        var objective = new ObjectiveSpec(0, 0, 1, 0, 0, 0, ObjectiveSpec.Default.Quantile)
        {
            HardCapacity = true,
            WSafety = instance.Resources.Select(r => (double)r.WeightLoadCost).ToArray(),
            ResourceBalance = instance.Balances.Select(b => new ResourceBalanceSpec(resourceNames[b.ResourceA], resourceNames[b.ResourceB], b.Target, b.Weight)).ToArray(),
            WPartitionMove = instance.WeightProcessMove,
            WGroupMove = instance.WeightServiceMove,
            WNodeMove = instance.WeightMachineMove,
        };
        return new ClusterSpec(
            resourceNames, new HorizonSpec(1, 300), nodes, partitions, [], groups, [], [], objective, BudgetSpec.Unlimited, SearchSpec.Default)
        {
            TransientResources = resourceNames.Where((_, r) => instance.Resources[r].Transient).ToArray(),
            NodeMoveCostMatrix = nodeMoveCost,
        };
    }

    private static string Name(string prefix, int index) => prefix + index.ToString(CultureInfo.InvariantCulture);

    private static double[] ToDoubles(long[] values) => values.Select(v => (double)v).ToArray();
}
