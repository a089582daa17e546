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
    private readonly int[][] _edgesOf;         // [p]: affinity edges at p
    private readonly int[][] _childrenOf;      // [p]: partitions whose parent is p
    private readonly BaseState? _base;
    private readonly bool _referenceOnly;      // the extended model, or a group too large to check here

    /// <param name="baseAssignment">
    /// An assignment the evaluations to come will mostly be close to (a plan, say): evaluations that differ from it
    /// in at most <see cref="MaxIncrementalChanges"/> partitions are then computed from its state, touching only the
    /// nodes, edges and groups of the partitions that differ (costs agree with the full computation to rounding).
    /// </param>
    public AssignmentEvaluator(PlanningInput input, int[]? baseAssignment = null)
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
        var edges = Enumerable.Range(0, partitions).Select(_ => new List<int>()).ToArray();
        for (int e = 0; e < _affinity.Length; e++)
        {
            edges[_affinity[e].A].Add(e);
            edges[_affinity[e].B].Add(e);
        }

        _edgesOf = [.. edges.Select(l => l.ToArray())];
        var children = Enumerable.Range(0, partitions).Select(_ => new List<int>()).ToArray();
        for (int p = 0; p < partitions; p++)
        {
            if (_parent[p] >= 0)
            {
                children[_parent[p]].Add(p);
            }
        }

        _childrenOf = [.. children.Select(l => l.ToArray())];
        UsesExtendedModel = spec.UsesExtendedModel;
        _referenceOnly = UsesExtendedModel || _groups.Any(g => g.Length > MaxGroupChecked);
        if (baseAssignment is not null && !_referenceOnly)
        {
            _base = new BaseState(this, (int[])baseAssignment.Clone());
        }
    }

    /// <summary>The most partitions an evaluation may differ from the base in and still be computed incrementally.</summary>
    public const int MaxIncrementalChanges = 32;

    /// <summary>The cluster's <see cref="Cluster.ClusterSpec.UsesExtendedModel"/>, decided once.</summary>
    public bool UsesExtendedModel { get; }

    public PlanningInput Input => _input;

    /// <summary>The reference's evaluation of <paramref name="assignment"/> (node index per partition).</summary>
    public ReferenceEvaluation Evaluate(int[] assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        int partitions = _input.Spec.Partitions.Count;
        if (assignment.Length != partitions)
        {
            throw new ArgumentException($"The assignment covers {assignment.Length} partitions; the cluster has {partitions}.", nameof(assignment));
        }

        if (_referenceOnly)
        {
            return ReferenceCost.Evaluate(_input, assignment);
        }

        if (_base is not null && _base.TryEvaluate(assignment) is { } incremental)
        {
            return incremental;
        }

        return EvaluateFully(assignment);
    }

    /// <summary>The whole computation: node loads from every partition, every node's terms, every constraint.</summary>
    private ReferenceEvaluation EvaluateFully(int[] assignment)
    {
        var spec = _input.Spec;
        int partitions = spec.Partitions.Count;
        int nodes = spec.Nodes.Count;
        int resources = _input.Resources;
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
        for (int p = 0; p < partitions; p++)
        {
            if (assignment[p] != _input.Initial[p])
            {
                moves++;
                movedBytes += spec.Partitions[p].SizeBytes;
                migration += MigrationOf(p, assignment[p]);
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

    /// <summary>One node's balance, headroom and overload terms and peak utilisation, from its load row.</summary>
    private (double Balance, double Headroom, double Overload, double Peak) NodeTerms(int node, ReadOnlySpan<double> load)
    {
        int resources = _input.Resources;
        double theta = _input.Spec.Objective.Theta;
        double balance = 0, headroom = 0, overload = 0, peak = 0;
        for (int k = 0; k < _width; k++)
        {
            int r = k % resources;
            double relative = _relative[(node * resources) + r];
            double utilisation = load[k] / _capacity[(node * resources) + r];
            peak = Math.Max(peak, utilisation);
            balance += relative * Square(utilisation - _utilisation[k]);
            headroom += relative * Square(Math.Max(0, utilisation - theta));
            overload += relative * Math.Max(0, utilisation - 1);
        }

        return (balance, headroom, overload, peak);
    }

    private double MigrationOf(int partition, int node)
    {
        int from = _input.Initial[partition];
        if (from == node || _totalSize <= 0)
        {
            return 0;
        }

        double distance = _input.ZoneDistance[(_input.NodeZone[from] * _input.Zones.Count) + _input.NodeZone[node]];
        return _input.Spec.Partitions[partition].SizeBytes * distance / _totalSize;
    }

    /// <summary>
    /// The state of the base assignment, computed once: node loads and terms, totals, and its full evaluation.
    /// An evaluation close to it replaces only what the differing partitions touch.
    /// </summary>
    private sealed class BaseState
    {
        private readonly AssignmentEvaluator _owner;
        private readonly int[] _assignment;
        private readonly double[] _load;
        private readonly (double Balance, double Headroom, double Overload, double Peak)[] _terms;
        private readonly ReferenceEvaluation _evaluation;
        private readonly double _balance;
        private readonly double _headroom;
        private readonly double _overload;
        private readonly double _migration;
        private readonly double _affinity;
        private readonly double _lineage;

        public BaseState(AssignmentEvaluator owner, int[] assignment)
        {
            _owner = owner;
            _assignment = assignment;
            _evaluation = owner.EvaluateFully(assignment);
            int width = owner._width;
            int nodes = owner._input.Spec.Nodes.Count;
            _load = new double[nodes * width];
            for (int p = 0; p < assignment.Length; p++)
            {
                var row = _load.AsSpan(assignment[p] * width, width);
                TensorPrimitives.Add(row, owner._loads.AsSpan(p * width, width), row);
            }

            _terms = new (double, double, double, double)[nodes];
            for (int n = 0; n < nodes; n++)
            {
                _terms[n] = owner.NodeTerms(n, _load.AsSpan(n * width, width));
                _balance += _terms[n].Balance;
                _headroom += _terms[n].Headroom;
                _overload += _terms[n].Overload;
            }

            for (int p = 0; p < assignment.Length; p++)
            {
                _migration += owner.MigrationOf(p, assignment[p]);
                if (owner._parent[p] >= 0 && assignment[p] != assignment[owner._parent[p]])
                {
                    _lineage++;
                }
            }

            foreach (var (a, b, weight) in owner._affinity)
            {
                if (assignment[a] != assignment[b])
                {
                    _affinity += weight;
                }
            }
        }

        /// <summary>The evaluation from the base's state, or null when the assignment differs in too many partitions.</summary>
        public ReferenceEvaluation? TryEvaluate(int[] assignment)
        {
            Span<int> changed = stackalloc int[MaxIncrementalChanges];
            int count = 0;
            for (int p = 0; p < assignment.Length; p++)
            {
                if (assignment[p] != _assignment[p])
                {
                    if (count == MaxIncrementalChanges)
                    {
                        return null;
                    }

                    changed[count++] = p;
                }
            }

            if (count == 0)
            {
                return _evaluation;
            }

            var owner = _owner;
            var input = owner._input;
            var spec = input.Spec;
            int width = owner._width;
            int nodes = spec.Nodes.Count;
            Span<int> touched = stackalloc int[2 * MaxIncrementalChanges];
            int touchedCount = 0;
            foreach (int p in changed[..count])
            {
                int to = assignment[p];
                if ((uint)to >= (uint)nodes)
                {
                    throw new ArgumentOutOfRangeException(nameof(assignment), $"partition {p} is on node index {to}, outside 0..{nodes - 1}");
                }

                foreach (int node in (ReadOnlySpan<int>)[_assignment[p], to])
                {
                    if (touched[..touchedCount].IndexOf(node) < 0)
                    {
                        touched[touchedCount++] = node;
                    }
                }
            }

            double[] rented = ArrayPool<double>.Shared.Rent(touchedCount * width);
            var peaks = (double[])_evaluation.NodePeakUtilisation.Clone();
            double balance = _balance, headroom = _headroom, overload = _overload;
            for (int t = 0; t < touchedCount; t++)
            {
                int node = touched[t];
                var row = rented.AsSpan(t * width, width);
                _load.AsSpan(node * width, width).CopyTo(row);
                foreach (int p in changed[..count])
                {
                    var partitionLoad = owner._loads.AsSpan(p * width, width);
                    if (_assignment[p] == node)
                    {
                        TensorPrimitives.Subtract(row, partitionLoad, row);
                    }

                    if (assignment[p] == node)
                    {
                        TensorPrimitives.Add(row, partitionLoad, row);
                    }
                }

                var before = _terms[node];
                var after = owner.NodeTerms(node, row);
                balance += after.Balance - before.Balance;
                headroom += after.Headroom - before.Headroom;
                overload += after.Overload - before.Overload;
                peaks[node] = after.Peak;
            }

            ArrayPool<double>.Shared.Return(rented);
            int moves = _evaluation.Moves;
            double movedBytes = _evaluation.MovedBytes, migration = _migration, affinity = _affinity, lineage = _lineage;
            foreach (int p in changed[..count])
            {
                int from = input.Initial[p];
                double size = spec.Partitions[p].SizeBytes;
                moves += (assignment[p] != from ? 1 : 0) - (_assignment[p] != from ? 1 : 0);
                movedBytes += (assignment[p] != from ? size : 0) - (_assignment[p] != from ? size : 0);
                migration += owner.MigrationOf(p, assignment[p]) - owner.MigrationOf(p, _assignment[p]);
            }

            // Each affinity edge and lineage link touching a changed partition, once.
            Span<int> seen = stackalloc int[256];
            int seenCount = 0;
            bool overflow = false;
            foreach (int p in changed[..count])
            {
                foreach (int e in owner._edgesOf[p])
                {
                    if (seen[..seenCount].IndexOf(e) >= 0)
                    {
                        continue;
                    }

                    if (seenCount == seen.Length)
                    {
                        overflow = true;
                        break;
                    }

                    seen[seenCount++] = e;
                    var (a, b, weight) = owner._affinity[e];
                    affinity += (assignment[a] != assignment[b] ? weight : 0) - (_assignment[a] != _assignment[b] ? weight : 0);
                }
            }

            seenCount = 0;
            foreach (int p in changed[..count])
            {
                foreach (int child in owner._childrenOf[p].Prepend(p))
                {
                    int parent = owner._parent[child];
                    if (parent < 0 || seen[..seenCount].IndexOf(child) >= 0)
                    {
                        continue;
                    }

                    if (seenCount == seen.Length)
                    {
                        overflow = true;
                        break;
                    }

                    seen[seenCount++] = child;
                    lineage += (assignment[child] != assignment[parent] ? 1 : 0) - (_assignment[child] != _assignment[parent] ? 1 : 0);
                }
            }

            if (overflow)
            {
                return null;
            }

            // Constraints: where the base broke none, only the changed partitions and their groups can, and the
            // reference lists partitions, then groups, each in index order: so only those are judged, in that order.
            List<string> broken;
            int violations = 0;
            if (_evaluation.Broken.Count == 0)
            {
                broken = [];
                var ordered = changed[..count];
                ordered.Sort();
                Span<int> groups = stackalloc int[MaxIncrementalChanges];
                int groupCount = 0;
                foreach (int p in ordered)
                {
                    owner.PartitionBroken(p, assignment, broken, ref violations);
                    int g = input.GroupOf[p];
                    if (g >= 0 && groups[..groupCount].IndexOf(g) < 0)
                    {
                        groups[groupCount++] = g;
                    }
                }

                groups[..groupCount].Sort();
                Span<int> scratch = stackalloc int[3 * MaxGroupChecked];
                foreach (int g in groups[..groupCount])
                {
                    owner.GroupBroken(g, assignment, broken, ref violations, scratch);
                }

                owner.BudgetBroken(moves, movedBytes, broken);
            }
            else
            {
                broken = owner.BrokenConstraints(assignment, moves, movedBytes, out violations);
            }

            var w = spec.Objective;
            var cost = new CostBreakdown(w.WBalance * balance, w.WOver * headroom, w.WMove * migration, w.WAffinity * affinity, w.WLineage * lineage, w.HardCapacity ? 0 : overload, violations);
            return new ReferenceEvaluation(cost, peaks, moves, movedBytes, broken);
        }
    }

    /// <summary>
    /// The reference's broken constraints, in its order and its words, without its per-group LINQ: partitions
    /// (pinned and moved, on a node outside their set), then each group (replicas sharing a node, in the order
    /// the node first appears among the members; too few zones), then the budget.
    /// </summary>
    private List<string> BrokenConstraints(int[] assignment, int moves, double movedBytes, out int violations)
    {
        var broken = new List<string>();
        violations = 0;
        for (int p = 0; p < assignment.Length; p++)
        {
            if ((uint)assignment[p] >= (uint)_input.Spec.Nodes.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(assignment), $"partition {p} is on node index {assignment[p]}, outside 0..{_input.Spec.Nodes.Count - 1}");
            }

            PartitionBroken(p, assignment, broken, ref violations);
        }

        Span<int> scratch = stackalloc int[3 * MaxGroupChecked];
        for (int g = 0; g < _groups.Length; g++)
        {
            GroupBroken(g, assignment, broken, ref violations, scratch);
        }

        BudgetBroken(moves, movedBytes, broken);
        return broken;
    }

    /// <summary>A partition pinned elsewhere, or on a node outside its set, in the reference's words.</summary>
    private void PartitionBroken(int p, int[] assignment, List<string> broken, ref int violations)
    {
        var spec = _input.Spec;
        int node = assignment[p];
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

    /// <summary>A group's replicas sharing nodes (in the order each node first appears among its members) and too few zones.</summary>
    /// <param name="scratch">3 x <see cref="MaxGroupChecked"/> ints of working space, from the caller (once per evaluation).</param>
    private void GroupBroken(int g, int[] assignment, List<string> broken, ref int violations, Span<int> scratch)
    {
        var spec = _input.Spec;
        var members = _groups[g];
        var nodesSeen = scratch[..MaxGroupChecked];
        var counts = scratch.Slice(MaxGroupChecked, MaxGroupChecked);
        var zonesSeen = scratch.Slice(2 * MaxGroupChecked, MaxGroupChecked);
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

    private void BudgetBroken(int moves, double movedBytes, List<string> broken)
    {
        var spec = _input.Spec;
        if (spec.Budget.MaxMoves is { } maxMoves && moves > maxMoves)
        {
            broken.Add($"the plan moves {moves} partitions, over budget.max_moves {maxMoves}");
        }

        if (spec.Budget.MaxBytes is { } maxBytes && movedBytes > maxBytes)
        {
            broken.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the plan moves {movedBytes:0} bytes, over budget.max_bytes {maxBytes:0}"));
        }
    }

    private static double Square(double x) => x * x;
}
