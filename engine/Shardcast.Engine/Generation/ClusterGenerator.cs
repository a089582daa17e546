using System.Globalization;
using Shardcast.Engine.Cluster;
using Shardcast.Kernels.Random;

namespace Shardcast.Engine.Generation;

/// <summary>
/// Synthetic clusters shaped like real ones: topics of Zipf-skewed popularity split into partitions with
/// log-normal heat and daily-cycle loads, replicated three ways across zones; nodes of three sizes in
/// several zones, a few draining and a few new; tenants, one confined to part of the cluster; affinity
/// between sibling partitions; split lineage; and a start placed by node preference rather than capacity,
/// so some nodes run hot while new ones sit empty. Every hard constraint holds in the start except that
/// draining nodes still hold partitions (the plan must move them off). Same options, same cluster.
/// </summary>
public static class ClusterGenerator
{
    private static readonly string[] ResourceNames = ["read_rps", "read_bytes", "cpu", "memory", "write_rps", "write_bytes", "disk_iops", "network"];
    private static readonly double[] ResourceBase = [10_000, 2e8, 32, 6.4e10, 4_000, 8e7, 20_000, 1.25e9];
    private const int ReplicationFactor = 3;

    public static ClusterSpec Generate(GeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rng = new CounterRng(options.Seed, 0x6E4E7A70UL);
        int r = options.Resources;
        int zones = Math.Clamp(options.Nodes / 4, 1, 6);
        var nodes = MakeNodes(options, zones, ref rng);
        var active = nodes.Where(n => n.State != NodeState.Draining).ToList();
        int usableZones = active.Select(n => n.Zone).Distinct().Count();

        // A third of the cluster, over at least two zones where there are two, serves a confined tenant.
        var confined = active.Where((n, i) => i % 3 == 0).Select(n => n.Id).ToList();
        var tenants = new List<TenantSpec>
        {
            new("shared", active.Select(n => n.Id).ToList()),
            new("analytics", confined),
        };

        int replication = Math.Min(ReplicationFactor, Math.Min(confined.Count, options.Nodes));
        int minZones = Math.Min(2, Math.Min(replication, Math.Min(usableZones, confined.Select(id => nodes.First(n => n.Id == id).Zone).Distinct().Count())));
        var partitions = new List<PartitionSpec>(options.Partitions);
        var groups = new List<GroupSpec>();
        var affinity = new List<AffinitySpec>();
        var placer = new StartPlacer(nodes, tenants, ref rng);

        // Topic popularity is Zipf(1.1): a few topics carry most of the traffic.
        int topicCount = Math.Max(1, options.Partitions / 24);
        var popularity = Enumerable.Range(1, topicCount).Select(k => 1 / Math.Pow(k, 1.1)).ToArray();
        var heat = new List<double>(options.Partitions);
        var shapes = new List<(double Phase, double Amplitude, double Trend, double[] Mix)>(options.Partitions);
        int topic = 0;
        while (partitions.Count < options.Partitions)
        {
            string tenant = topic % 5 == 4 ? "analytics" : "shared";
            bool replicated = topic % 4 != 3 && replication > 1;
            int perTopic = 1 + rng.NextInt(24);
            string? previous = null;
            string? previousNode = null;
            for (int k = 0; k < perTopic && partitions.Count < options.Partitions; k++)
            {
                int members = replicated ? Math.Min(replication, options.Partitions - partitions.Count) : 1;
                string group = $"topic{topic}-{k}";
                double partitionHeat = popularity[topic % topicCount] * LogNormal(ref rng, 0.8);
                double size = Math.Round(5e9 * LogNormal(ref rng, 1.0) * (0.5 + Math.Min(partitionHeat * topicCount, 4)));
                var shape = (Phase: rng.NextDouble() * 2 * Math.PI, Amplitude: 0.1 + (0.3 * rng.NextDouble()), Trend: (rng.NextDouble() * 0.05) - 0.01, Mix: new double[r]);
                for (int i = 0; i < r; i++)
                {
                    shape.Mix[i] = LogNormal(ref rng, 0.3);
                }

                var placed = placer.PlaceGroup(tenant, members, members > 1 ? minZones : 1, ref rng);
                if (members > 1)
                {
                    groups.Add(new GroupSpec(group, members > 1 ? minZones : 1));
                }

                for (int m = 0; m < members; m++)
                {
                    // Followers serve a share of the leader's reads.
                    double replicaHeat = m == 0 ? partitionHeat : partitionHeat * (0.3 + (0.2 * rng.NextDouble()));
                    string id = members > 1 ? $"{group}-r{m}" : group;
                    string? parent = null;
                    bool affine = false;
                    string node = placed[m];
                    if (members == 1 && previous is not null)
                    {
                        parent = rng.NextDouble() < 0.15 ? previous : null;
                        affine = rng.NextDouble() < 0.15;

                        // Splits happen in place and co-accessed data mostly lives together; some pairs drifted apart.
                        if ((parent is not null || affine) && rng.NextDouble() < 0.8)
                        {
                            node = previousNode!;
                        }
                    }

                    bool pinned = members == 1 && parent is null && rng.NextDouble() < 0.03 && placer.IsActive(node);
                    partitions.Add(new PartitionSpec(id, node, size, tenant, members > 1 ? group : null, parent, pinned,
                        new Dictionary<string, string> { ["topic"] = $"topic{topic}" }, null, null));
                    heat.Add(replicaHeat);
                    shapes.Add(shape);
                    if (members == 1)
                    {
                        if (affine)
                        {
                            affinity.Add(new AffinitySpec(previous!, id, Math.Round(1 + (2 * rng.NextDouble()), 2)));
                        }

                        previous = id;
                        previousNode = node;
                    }
                }
            }

            topic++;
        }

        double[] activeCapacity = Enumerable.Range(0, r).Select(i => active.Sum(n => n.Capacity[i])).ToArray();
        CapHotPartitions(heat, active, options.TargetUtilisation);
        double totalHeat = heat.Sum();
        for (int p = 0; p < partitions.Count; p++)
        {
            var (phase, amplitude, trend, mix) = shapes[p];
            var load = new double[options.Steps][];
            for (int h = 0; h < options.Steps; h++)
            {
                // A daily cycle sampled over the horizon, plus a per-partition trend.
                double cycle = 1 + (amplitude * Math.Sin(phase + (2 * Math.PI * h / Math.Max(options.Steps, 12))));
                double level = cycle * (1 + (trend * h)) / (1 + amplitude);
                load[h] = new double[r];
                for (int i = 0; i < r; i++)
                {
                    load[h][i] = Significant(options.TargetUtilisation * activeCapacity[i] * heat[p] / totalHeat * level * mix[i], 4);
                }
            }

            partitions[p] = partitions[p] with { Load = load };
        }

        tenants[1] = WidenToFit(tenants[1], partitions, active, options.TargetUtilisation);
        double totalBytes = partitions.Sum(p => p.SizeBytes);
        return new ClusterSpec(
            ResourceNames[..r],
            new HorizonSpec(options.Steps, 300),
            nodes,
            partitions,
            tenants,
            groups,
            affinity,
            ZoneDistances(zones),
            Cluster.ObjectiveSpec.Default,
            new BudgetSpec(Math.Max(10, partitions.Count / 2), Math.Round(totalBytes / 2)),
            SearchSpec.Default);
    }

    /// <summary>
    /// Real clusters split a partition before it outgrows a node; so no generated partition carries more than a
    /// fifth of the smallest node's share at the target utilisation. The excess is clipped, keeping the skew below it.
    /// </summary>
    private static void CapHotPartitions(List<double> heat, List<NodeSpec> active, double utilisation)
    {
        double smallest = active.Min(n => n.Capacity.Min()) / active.Average(n => n.Capacity.Min());
        for (int round = 0; round < 8; round++)
        {
            double total = heat.Sum();
            // Heat h_p becomes load utilisation * capacity * h_p / total; a mean node holds capacity / active.Count.
            double cap = 0.2 * smallest * total / (utilisation * active.Count);
            bool clipped = false;
            for (int p = 0; p < heat.Count; p++)
            {
                if (heat[p] > cap * 1.0001)
                {
                    heat[p] = cap;
                    clipped = true;
                }
            }

            if (!clipped)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Gives a confined tenant more nodes until its own load fits them at the target utilisation: operators size
    /// a tenant's share of the cluster to its traffic. Partitions already placed stay where they are.
    /// </summary>
    private static TenantSpec WidenToFit(TenantSpec tenant, List<PartitionSpec> partitions, List<NodeSpec> active, double utilisation)
    {
        var members = tenant.Nodes.ToHashSet(StringComparer.Ordinal);
        var own = partitions.Where(p => p.Tenant == tenant.Id).ToList();
        if (own.Count == 0)
        {
            return tenant;
        }

        int steps = own[0].Load!.Length;
        int resources = own[0].Load![0].Length;
        bool Fits() => Enumerable.Range(0, steps * resources).All(k =>
            own.Sum(p => p.Load![k / resources][k % resources]) <= utilisation * active.Where(n => members.Contains(n.Id)).Sum(n => n.Capacity[k % resources]));
        foreach (var node in active)
        {
            // Replicas must spread over distinct nodes: with barely more nodes than replicas, each node takes a
            // replica of everything, so a confined tenant keeps at least two nodes per replica.
            if (members.Count >= 2 * ReplicationFactor && Fits())
            {
                break;
            }

            members.Add(node.Id);
        }

        return tenant with { Nodes = active.Where(n => members.Contains(n.Id)).Select(n => n.Id).ToList() };
    }

    private static List<NodeSpec> MakeNodes(GeneratorOptions options, int zones, ref CounterRng rng)
    {
        var nodes = new List<NodeSpec>(options.Nodes);
        int draining = options.Nodes >= 8 ? Math.Max(1, options.Nodes / 50) : 0;
        int fresh = options.Nodes >= 4 ? Math.Max(1, options.Nodes / 20) : 0;
        for (int n = 0; n < options.Nodes; n++)
        {
            double u = rng.NextDouble();
            double size = u < 0.5 ? 1 : u < 0.85 ? 2 : 4;
            var capacity = new double[options.Resources];
            for (int i = 0; i < capacity.Length; i++)
            {
                capacity[i] = Significant(ResourceBase[i] * size * (0.9 + (0.2 * rng.NextDouble())), 4);
            }

            var state = n >= options.Nodes - draining ? NodeState.Draining : n >= options.Nodes - draining - fresh ? NodeState.New : NodeState.Active;
            nodes.Add(new NodeSpec(string.Create(CultureInfo.InvariantCulture, $"n{n}"), capacity, string.Create(CultureInfo.InvariantCulture, $"z{n % zones}"), state));
        }

        return nodes;
    }

    private static List<ZoneDistanceSpec> ZoneDistances(int zones)
    {
        // Crossing zones costs more than moving within one; zones further apart in the ring cost more still.
        var list = new List<ZoneDistanceSpec>();
        for (int a = 0; a < zones; a++)
        {
            for (int b = a + 1; b < zones; b++)
            {
                int apart = Math.Min(b - a, zones - (b - a));
                list.Add(new ZoneDistanceSpec($"z{a}", $"z{b}", 1 + apart));
            }
        }

        return list;
    }

    internal static double LogNormal(ref CounterRng rng, double sigma)
    {
        // Box-Muller from two uniforms; 1 - u keeps the log away from zero.
        double u1 = 1 - rng.NextDouble();
        double u2 = rng.NextDouble();
        double gauss = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return Math.Exp(sigma * gauss);
    }

    /// <summary>Rounds to a few significant digits, so generated files stay small and read cleanly.</summary>
    private static double Significant(double value, int digits) =>
        double.Parse(value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
