using Shardcast.Engine.Cluster;
using Shardcast.Kernels.Random;

namespace Shardcast.Engine.Generation;

/// <summary>
/// Places a generated cluster's starting assignment the way clusters drift: by a per-node preference that only
/// loosely follows capacity, never on new nodes, keeping replicas on distinct
/// nodes over the required zones and inside their tenant's nodes.
/// </summary>
internal sealed class StartPlacer
{
    private readonly List<NodeSpec> _nodes;
    private readonly Dictionary<string, (int[] Nodes, double[] Cumulative)> _byTenant = new(StringComparer.Ordinal);

    public StartPlacer(List<NodeSpec> nodes, List<TenantSpec> tenants, ref CounterRng rng)
    {
        _nodes = nodes;
        var index = nodes.Select((n, i) => (n.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var preference = new double[nodes.Count];
        for (int n = 0; n < nodes.Count; n++)
        {
            // Placed roughly by size once, then drifted: capacity times a log-normal factor.
            preference[n] = nodes[n].State == NodeState.New ? 0 : nodes[n].Capacity[0] * ClusterGenerator.LogNormal(ref rng, 0.5);
        }

        foreach (var tenant in tenants)
        {
            // Draining nodes are not in the tenants' lists but held partitions before they began draining. New nodes
            // have no weight, so draws never land there; only a group that fits nowhere else falls back to them.
            var candidates = tenant.Nodes.Select(id => index[id]).Concat(tenant.Id == "shared" ? Enumerable.Range(0, nodes.Count).Where(i => nodes[i].State == NodeState.Draining) : []).ToArray();
            var cumulative = new double[candidates.Length];
            double sum = 0;
            for (int i = 0; i < candidates.Length; i++)
            {
                sum += preference[candidates[i]];
                cumulative[i] = sum;
            }

            _byTenant[tenant.Id] = (candidates, cumulative);
        }
    }

    public bool IsActive(string nodeId) => _nodes.First(n => n.Id == nodeId).State == NodeState.Active;

    public string[] PlaceGroup(string tenant, int members, int minZones, ref CounterRng rng)
    {
        var (candidates, cumulative) = _byTenant[tenant];
        var chosen = new List<int>(members);
        for (int m = 0; m < members; m++)
        {
            bool needNewZone = chosen.Select(c => _nodes[c].Zone).Distinct().Count() < minZones;
            int pick = -1;
            for (int attempt = 0; attempt < 64 && pick < 0; attempt++)
            {
                int candidate = candidates[Sample(cumulative, rng.NextDouble() * cumulative[^1])];
                if (Acceptable(candidate, chosen, needNewZone))
                {
                    pick = candidate;
                }
            }

            // Unlucky draws: take the first acceptable node in order (always exists; the reader checks groups fit).
            pick = pick >= 0 ? pick : candidates.First(c => Acceptable(c, chosen, needNewZone));
            chosen.Add(pick);
        }

        return chosen.Select(c => _nodes[c].Id).ToArray();
    }

    private bool Acceptable(int candidate, List<int> chosen, bool needNewZone) =>
        !chosen.Contains(candidate) && (!needNewZone || chosen.All(c => _nodes[c].Zone != _nodes[candidate].Zone));

    private static int Sample(double[] cumulative, double x)
    {
        int i = Array.BinarySearch(cumulative, x);
        return Math.Min(i >= 0 ? i : ~i, cumulative.Length - 1);
    }
}
