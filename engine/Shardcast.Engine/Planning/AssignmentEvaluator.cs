using System.Buffers;
using System.Numerics.Tensors;
using Shardcast.Engine.Cluster;
using Shardcast.Kernels.Problem;

namespace Shardcast.Engine.Planning;

/// <summary>
/// The reference cost of many assignments of one cluster, fast: everything that does not depend on the
/// assignment (flat loads, capacities, scales, cluster utilisation, zone distances, group members) is prepared
/// once, and an evaluation is one pass over the partitions and one over the nodes, allocation-light and in the
/// same double-precision arithmetic, in the same order, as <see cref="ReferenceCost"/>, which stays beside it as
/// the obvious version the tests compare against (broken constraints included, word for word). Clusters using
/// the extended model, or with groups of more than 256 members, are evaluated by the reference.
/// </summary>
public sealed class AssignmentEvaluator
{
    private readonly PlanningInput _input;
    private readonly int _width;
    private readonly double[] _loads;          // [p * W + k]
    private readonly double[] _capacity;       // [n * R + r]
    private readonly double[] _relative;       // [n * R + r]: capacity / resource scale
    private readonly double[] _utilisation;    // [k]: cluster utilisation U[h, r]
    private readonly double _totalSize;
    private readonly int[][] _groups;          // members per group
    private readonly int[] _parent;            // [p]: parent index or -1
    private readonly (int A, int B, double Weight)[] _affinity;

    public AssignmentEvaluator(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _input = input;
        var spec = input.Spec;
        _width = input.Steps * input.Resources;
        int partitions = spec.Partitions.Count;
        int nodes = spec.Nodes.Count;
        _loads = new double[partitions * _width];
        for (int p = 0; p < partitions; p++)
        {
            input.Load[p].CopyTo(_loads, p * _width);
        }

        double[] scale = ProblemBuilder.RelativeScale(input);
        _capacity = new double[nodes * input.Resources];
        _relative = new double[nodes * input.Resources];
        for (int n = 0; n < nodes; n++)
        {
            for (int r = 0; r < input.Resources; r++)
            {
                _capacity[(n * input.Resources) + r] = input.Capacity(n, r);
                _relative[(n * input.Resources) + r] = input.Capacity(n, r) / scale[r];
            }
        }

        _utilisation = ProblemBuilder.ClusterUtilisation(input);
        _totalSize = spec.Partitions.Sum(p => p.SizeBytes);
        var members = new List<int>[input.GroupNames.Count];
        for (int g = 0; g < members.Length; g++)
        {
            members[g] = [];
        }

        for (int p = 0; p < partitions; p++)
        {
            if (input.GroupOf[p] >= 0)
            {
                members[input.GroupOf[p]].Add(p);
            }
        }

        _groups = [.. members.Select(m => m.ToArray())];
        _parent = [.. spec.Partitions.Select(p => p.Parent is { } parent ? input.PartitionIndex[parent] : -1)];
        _affinity = [.. spec.Affinity.Select(e => (input.PartitionIndex[e.A], input.PartitionIndex[e.B], e.Weight))];
    }

    public PlanningInput Input => _input;

    /// <summary>The reference's evaluation of <paramref name="assignment"/> (node index per partition).</summary>
    public ReferenceEvaluation Evaluate(int[] assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var spec = _input.Spec;
        int partitions = spec.Partitions.Count;
        int nodes = spec.Nodes.Count;
        int resources = _input.Resources;
        if (assignment.Length != partitions)
        {
            throw new ArgumentException($"The assignment covers {assignment.Length} partitions; the cluster has {partitions}.", nameof(assignment));
        }

        if (spec.UsesExtendedModel || _groups.Any(g => g.Length > MaxGroupChecked))
        {
            return ReferenceCost.Evaluate(_input, assignment);
        }

        // Rented: a server evaluating thousands of assignments a second would otherwise allocate this every time.
        double[] rented = ArrayPool<double>.Shared.Rent(nodes * _width);
        var load = rented.AsSpan(0, nodes * _width);
        load.Clear();
        for (int p = 0; p < partitions; p++)
        {
            var row = load.Slice(assignment[p] * _width, _width);
            TensorPrimitives.Add(row, _loads.AsSpan(p * _width, _width), row);
        }

        var w = spec.Objective;
        double balance = 0, headroom = 0, overload = 0;
        var peaks = new double[nodes];
        for (int n = 0; n < nodes; n++)
        {
            double peak = 0;
            for (int k = 0; k < _width; k++)
            {
                int r = k % resources;
                double capacity = _capacity[(n * resources) + r];
                double relative = _relative[(n * resources) + r];
                double utilisation = load[(n * _width) + k] / capacity;
                peak = Math.Max(peak, utilisation);
                balance += relative * Square(utilisation - _utilisation[k]);
                headroom += relative * Square(Math.Max(0, utilisation - w.Theta));
                overload += relative * Math.Max(0, utilisation - 1);
            }

            peaks[n] = peak;
        }

        ArrayPool<double>.Shared.Return(rented);

        double migration = 0, movedBytes = 0;
        int moves = 0;
        int zones = _input.Zones.Count;
        for (int p = 0; p < partitions; p++)
        {
            int from = _input.Initial[p];
            int to = assignment[p];
            if (from != to)
            {
                moves++;
                movedBytes += spec.Partitions[p].SizeBytes;
                double distance = _input.ZoneDistance[(_input.NodeZone[from] * zones) + _input.NodeZone[to]];
                migration += _totalSize > 0 ? spec.Partitions[p].SizeBytes * distance / _totalSize : 0;
            }
        }

        var broken = BrokenConstraints(assignment, moves, movedBytes, out int violations);

        double affinity = 0;
        foreach (var (a, b, weight) in _affinity)
        {
            if (assignment[a] != assignment[b])
            {
                affinity += weight;
            }
        }

        double lineage = 0;
        for (int p = 0; p < partitions; p++)
        {
            if (_parent[p] >= 0 && assignment[p] != assignment[_parent[p]])
            {
                lineage++;
            }
        }

        var cost = new CostBreakdown(w.WBalance * balance, w.WOver * headroom, w.WMove * migration, w.WAffinity * affinity, w.WLineage * lineage, w.HardCapacity ? 0 : overload, violations);
        return new ReferenceEvaluation(cost, peaks, moves, movedBytes, broken);
    }

    private const int MaxGroupChecked = 256;

    /// <summary>
    /// The reference's broken constraints, in its order and its words, without its per-group LINQ: partitions
    /// (pinned and moved, on a node outside their set), then each group (replicas sharing a node, in the order
    /// the node first appears among the members; too few zones), then the budget.
    /// </summary>
    private List<string> BrokenConstraints(int[] assignment, int moves, double movedBytes, out int violations)
    {
        var spec = _input.Spec;
        var broken = new List<string>();
        violations = 0;
        for (int p = 0; p < assignment.Length; p++)
        {
            int node = assignment[p];
            if ((uint)node >= (uint)spec.Nodes.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(assignment), $"partition {p} is on node index {node}, outside 0..{spec.Nodes.Count - 1}");
            }

            var part = spec.Partitions[p];
            if (part.Pinned && node != _input.Initial[p])
            {
                broken.Add($"pinned partition '{part.Id}' moved from '{part.Node}' to '{spec.Nodes[node].Id}'");
            }

            if (!_input.IsAllowed(p, node))
            {
                violations++;
                broken.Add(spec.Nodes[node].State == NodeState.Draining
                    ? $"partition '{part.Id}' is on draining node '{spec.Nodes[node].Id}'"
                    : $"partition '{part.Id}' is on node '{spec.Nodes[node].Id}', outside tenant '{part.Tenant}'");
            }
        }

        Span<int> nodesSeen = stackalloc int[MaxGroupChecked];
        Span<int> counts = stackalloc int[MaxGroupChecked];
        Span<int> zonesSeen = stackalloc int[MaxGroupChecked];
        for (int g = 0; g < _groups.Length; g++)
        {
            var members = _groups[g];
            int distinct = 0;
            int zoneCount = 0;
            foreach (int member in members)
            {
                int node = assignment[member];
                int at = nodesSeen[..distinct].IndexOf(node);
                if (at < 0)
                {
                    nodesSeen[distinct] = node;
                    counts[distinct++] = 1;
                }
                else
                {
                    counts[at]++;
                }

                int zone = _input.NodeZone[node];
                if (zonesSeen[..zoneCount].IndexOf(zone) < 0)
                {
                    zonesSeen[zoneCount++] = zone;
                }
            }

            for (int i = 0; i < distinct; i++)
            {
                if (counts[i] > 1)
                {
                    int node = nodesSeen[i];
                    violations += counts[i] - 1;
                    var sharing = members.Where(m => assignment[m] == node).Select(m => spec.Partitions[m].Id);
                    broken.Add($"group '{_input.GroupNames[g]}' has {counts[i]} replicas on node '{spec.Nodes[node].Id}' ({string.Join(", ", sharing)})");
                }
            }

            if (zoneCount < _input.GroupMinZones[g])
            {
                violations += _input.GroupMinZones[g] - zoneCount;
                broken.Add($"group '{_input.GroupNames[g]}' spans {zoneCount} zones, fewer than its min_zones {_input.GroupMinZones[g]}");
            }
        }

        if (spec.Budget.MaxMoves is { } maxMoves && moves > maxMoves)
        {
            broken.Add($"the plan moves {moves} partitions, over budget.max_moves {maxMoves}");
        }

        if (spec.Budget.MaxBytes is { } maxBytes && movedBytes > maxBytes)
        {
            broken.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the plan moves {movedBytes:0} bytes, over budget.max_bytes {maxBytes:0}"));
        }

        return broken;
    }

    private static double Square(double x) => x * x;
}
