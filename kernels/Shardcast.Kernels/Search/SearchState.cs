using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels.Search;

/// <summary>
/// One candidate assignment with everything a move needs kept incrementally: node loads, node peaks,
/// members per node, the move budget used and the count of violated hard constraints. A move is
/// evaluated in O(H*R + coupling degree + group size) and never scans the whole assignment.
/// </summary>
internal sealed class SearchState
{
    private readonly FlatProblem _problem;
    private readonly float _wBalance;
    private readonly float _wHeadroom;
    private readonly float _wMove;
    private readonly float _penalty;
    private readonly float[] _swapChange;
    private readonly int[] _zoneScratch;
    private readonly int[] _moved;
    private readonly int[] _movedPosition;
    private readonly ExtensionState? _extension;
    private readonly GroupPlacement _groups;

    /// <param name="countGroupNodes">Force counting group members per node on or off (tests); null lets <see cref="GroupPlacement"/> choose.</param>
    public SearchState(FlatProblem problem, bool? countGroupNodes = null)
    {
        _problem = problem;
        Assignment = new int[problem.Partitions];
        NodeLoad = new float[problem.Nodes * problem.Stride];
        NodePeak = new float[problem.Nodes];
        Members = new NodeMembership(problem.Nodes, problem.Partitions);
        _wBalance = (float)problem.Weights.Balance;
        _wHeadroom = (float)problem.Weights.Headroom;
        _wMove = (float)problem.Weights.Move;
        // With hard capacity an overloaded lane is a violation (judged exactly by the extension), not a penalty.
        _penalty = problem.Extensions is { HardCapacity: true } ? 0f : (float)CostWeights.OverloadPenalty;
        _swapChange = new float[problem.Stride];
        _zoneScratch = new int[Math.Max(1, problem.LargestGroup()) + 1];
        _moved = new int[problem.Partitions];
        _movedPosition = new int[problem.Partitions];
        _groups = new GroupPlacement(problem, countGroupNodes);
        _extension = problem.Extensions is { } extensions ? new ExtensionState(problem, extensions, Assignment) : null;
    }

    public FlatProblem Problem => _problem;

    public int[] Assignment { get; }

    public float[] NodeLoad { get; }

    public float[] NodePeak { get; }

    public NodeMembership Members { get; }

    /// <summary>The extended model's exact bookkeeping, where the problem has one.</summary>
    public ExtensionState? Extension => _extension;

    /// <summary>Partitions away from their initial node: the move budget used.</summary>
    public int Moves { get; private set; }

    /// <summary>The i-th partition away from its initial node (0 &lt;= i &lt; <see cref="Moves"/>), in no particular order.</summary>
    public int MovedAt(int index) => _moved[index];

    /// <summary>Whether the move budget is (nearly) spent, so proposals should rearrange moved partitions instead.</summary>
    public bool BudgetTight => Moves >= _problem.MaxMoves - 1 || MovedBytes >= 0.98 * _problem.MaxBytes;

    public double MovedBytes { get; private set; }

    public int Violations { get; private set; }

    /// <summary>Tracked energy: updated by float deltas, exact after <see cref="Reset"/> or <see cref="Resynchronise"/>.</summary>
    public double Energy { get; private set; }

    public void Reset(ReadOnlySpan<int> assignment)
    {
        assignment.CopyTo(Assignment);
        Resynchronise();
    }

    public void CopyFrom(SearchState other) => Reset(other.Assignment);

    /// <summary>Recomputes every derived quantity from the assignment, removing float drift.</summary>
    public void Resynchronise()
    {
        var p = _problem;
        int stride = p.Stride;
        Array.Clear(NodeLoad);
        Members.Clear();
        Moves = 0;
        MovedBytes = 0;
        for (int i = 0; i < p.Partitions; i++)
        {
            int n = Assignment[i];
            Members.Add(n, i);
            var row = p.LoadRow(i);
            var target = NodeLoad.AsSpan(n * stride, stride);
            for (int k = 0; k < stride; k++)
            {
                target[k] += row[k];
            }

            _movedPosition[i] = -1;
            if (n != p.Initial[i])
            {
                _movedPosition[i] = Moves;
                _moved[Moves++] = i;
                MovedBytes += p.SizeBytes[i];
            }
        }

        for (int n = 0; n < p.Nodes; n++)
        {
            NodePeak[n] = NodeTerms.Peak(NodeRow(NodeLoad, n), NodeRow(p.InverseCapacity, n));
        }

        _groups.Reset(Assignment);
        _extension?.Reset();
        var cost = Breakdown();
        Violations = cost.Violations;
        Energy = cost.Energy;
    }

    private ReadOnlySpan<float> NodeRow(float[] array, int node) => array.AsSpan(node * _problem.Stride, _problem.Stride);

    /// <summary>The full cost of the current assignment, recomputed from the node loads (float rows, double sums).</summary>
    public CostBreakdown Breakdown()
    {
        var p = _problem;
        var w = p.Weights;
        double balance = 0, headroom = 0, overload = 0;
        for (int n = 0; n < p.Nodes; n++)
        {
            var (b, h, o) = NodeTerms.Terms(NodeRow(NodeLoad, n), NodeRow(p.Capacity, n), NodeRow(p.InverseCapacity, n), NodeRow(p.BalanceTarget, n), NodeRow(p.HeadroomLimit, n));
            balance += b;
            headroom += h;
            overload += o;
        }

        double migration = 0;
        for (int i = 0; i < p.Partitions; i++)
        {
            migration += MigrationCost(i, Assignment[i]);
        }

        double affinity = 0;
        for (int e = 0; e < p.AffinityA.Length; e++)
        {
            if (Assignment[p.AffinityA[e]] != Assignment[p.AffinityB[e]])
            {
                affinity += p.AffinityWeight[e];
            }
        }

        double lineage = 0;
        for (int i = 0; i < p.Partitions; i++)
        {
            int parent = p.Parent[i];
            if (parent >= 0 && Assignment[i] != Assignment[parent])
            {
                lineage += 1;
            }
        }

        var native = new CostBreakdown(w.Balance * balance, w.Headroom * headroom, w.Move * migration, w.Affinity * affinity, w.Lineage * lineage, overload, CountViolations());
        if (_extension is null)
        {
            return native;
        }

        var x = _extension.Cost();
        return native with
        {
            Overload = p.Extensions!.HardCapacity ? 0 : overload + x.TransientOverload,
            Violations = native.Violations + x.Violations,
            Safety = x.Safety,
            ResourceBalance = x.ResourceBalance,
            PartitionMove = x.PartitionMove,
            GroupMove = x.GroupMove,
            NodeMove = x.NodeMove,
        };
    }

    private int CountViolations()
    {
        var p = _problem;
        int violations = 0;
        for (int i = 0; i < p.Partitions; i++)
        {
            if (!p.IsAllowed(i, Assignment[i]))
            {
                violations++;
            }
        }

        for (int g = 0; g < p.Groups; g++)
        {
            var members = p.MembersOf(g);
            int distinctNodes = 0;
            for (int i = 0; i < members.Length; i++)
            {
                bool seen = false;
                for (int j = 0; j < i && !seen; j++)
                {
                    seen = Assignment[members[j]] == Assignment[members[i]];
                }

                distinctNodes += seen ? 0 : 1;
            }

            violations += members.Length - distinctNodes;
            violations += Math.Max(0, p.GroupMinZones[g] - DistinctZones(members, -1, -1));
        }

        return violations;
    }

    /// <summary>Distinct zones the members of a group occupy now.</summary>
    public int DistinctZonesOf(int group) => _groups.Zones(group);

    /// <summary>Distinct zones of a group's members, with member <paramref name="moved"/> placed on <paramref name="node"/>.</summary>
    private int DistinctZones(ReadOnlySpan<int> members, int moved, int node)
    {
        var p = _problem;
        int count = 0;
        var zones = _zoneScratch;
        for (int i = 0; i < members.Length; i++)
        {
            int q = members[i];
            int zone = p.NodeZone[q == moved ? node : Assignment[q]];
            bool seen = false;
            for (int j = 0; j < count && !seen; j++)
            {
                seen = zones[j] == zone;
            }

            if (!seen)
            {
                zones[count++] = zone;
            }
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float MigrationCost(int partition, int node)
    {
        var p = _problem;
        int home = p.Initial[partition];
        return node == home ? 0f : p.SizeFraction[partition] * p.ZoneDistance[(p.NodeZone[home] * p.Zones) + p.NodeZone[node]];
    }

    /// <summary>Change in violated hard constraints if partition moves to node (the budget is checked apart).</summary>
    public int ViolationDelta(int partition, int node) =>
        NativeViolationDelta(partition, node) + (_extension?.MoveViolationDelta(partition, Assignment[partition], node) ?? 0);

    /// <summary>
    /// Violation change of `gain` moving onto `node` in place of `loss`, counted for gain's own move: two members of one
    /// group only change where each may be; the node's capacities are judged with the node's energy.
    /// </summary>
    public int ReplaceViolationDelta(int gain, int node, int loss)
    {
        int from = Assignment[gain];
        int native = loss >= 0 && SameGroup(gain, loss) ? AllowedDelta(gain, from, node) : NativeViolationDelta(gain, node);
        return native + (_extension?.DependencyMoveDelta(gain, from, node) ?? 0);
    }

    private int NativeViolationDelta(int partition, int node)
    {
        var p = _problem;
        int from = Assignment[partition];
        int delta = AllowedDelta(partition, from, node);
        int g = p.GroupOf[partition];
        if (g < 0)
        {
            return delta;
        }

        int fromZone = p.NodeZone[from];
        int toZone = p.NodeZone[node];
        bool othersOnFrom = false, othersOnTo = false;
        if (_groups.TracksNodes)
        {
            // The partition itself is counted on its own node.
            othersOnFrom = _groups.OnNode(g, from) > 1;
            othersOnTo = _groups.OnNode(g, node) > 0;
        }
        else
        {
            int end = p.GroupStart[g + 1];
            for (int i = p.GroupStart[g]; i < end; i++)
            {
                int q = p.GroupMembers[i];
                int at = Assignment[q];
                othersOnFrom |= at == from && q != partition;
                othersOnTo |= at == node;
            }
        }

        bool othersInFromZone = _groups.InZone(g, fromZone) > 1;
        bool othersInToZone = _groups.InZone(g, toZone) > 0;

        // Collisions = members - distinct nodes: leaving a shared node removes one, joining an occupied one adds one.
        delta += (othersOnFrom ? -1 : 0) + (othersOnTo ? 1 : 0);
        int minZones = p.GroupMinZones[g];
        if (minZones > 1 && fromZone != toZone)
        {
            int zoneChange = (othersInToZone ? 0 : 1) - (othersInFromZone ? 0 : 1);
            if (zoneChange != 0)
            {
                // Shortfall max(0, min - distinct) changes only while distinct is at or below the minimum.
                int before = DistinctZonesOf(g);
                delta += Math.Max(0, minZones - (before + zoneChange)) - Math.Max(0, minZones - before);
            }
        }

        return delta;
    }

    /// <summary>
    /// True only when the move certainly adds a violation: the plan breaks nothing now (so no part of the count
    /// can fall) and the target would go over a hard capacity. Lets proposals onto full nodes be dropped cheaply.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool CertainlyBreaks(int partition, int node) => Violations == 0 && Overflows(partition, node);

    /// <summary>Whether the node would be over a hard capacity with the partition added (false without hard capacity).</summary>
    public bool Overflows(int partition, int node) => _extension is not null && _extension.Overflows(node, partition, -1);

    /// <summary>As <see cref="CertainlyBreaks"/>, for exchanging the nodes of a and b.</summary>
    public bool SwapCertainlyBreaks(int a, int b) =>
        Violations == 0 && _extension is not null && (_extension.Overflows(Assignment[b], a, b) || _extension.Overflows(Assignment[a], b, a));

    /// <summary>Whether moving partition to node keeps the plan within its move count and byte budget.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool WithinBudget(int partition, int node)
    {
        var p = _problem;
        int home = p.Initial[partition];
        int from = Assignment[partition];
        int moveChange = (node != home ? 1 : 0) - (from != home ? 1 : 0);
        return moveChange <= 0 || (Moves + moveChange <= p.MaxMoves && MovedBytes + p.SizeBytes[partition] <= p.MaxBytes);
    }

    /// <summary>Energy change of moving partition to node, violations excluded (see <see cref="ViolationDelta"/>).</summary>
    public float MoveDelta(int partition, int node)
    {
        int from = Assignment[partition];
        float delta = RowPairDelta(from, node, _problem.Load, partition * _problem.Stride, -1f)
            + (_wMove * (MigrationCost(partition, node) - MigrationCost(partition, from)))
            + CouplingDelta(partition, from, node, -1, -1);
        return _extension is null ? delta : delta + _extension.MoveDelta(partition, from, node);
    }

    /// <summary>The native migration term's change when partition moves to node.</summary>
    public double MigrationDelta(int partition, int node) =>
        _wMove * (MigrationCost(partition, node) - MigrationCost(partition, Assignment[partition]));

    /// <summary>Node terms of rows a and b when a changes by signA*change and b by the opposite; change is a row of <paramref name="source"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float RowPairDelta(int a, int b, float[] source, int sourceOffset, float signA)
    {
        var p = _problem;
        int stride = p.Stride;
        int oa = a * stride;
        int ob = b * stride;
        Debug.Assert((uint)a < (uint)p.Nodes && (uint)b < (uint)p.Nodes && sourceOffset + stride <= source.Length, "validated problem");
        ref float load = ref MemoryMarshal.GetArrayDataReference(NodeLoad);
        ref float capacity = ref MemoryMarshal.GetArrayDataReference(p.Capacity);
        ref float inverse = ref MemoryMarshal.GetArrayDataReference(p.InverseCapacity);
        ref float target = ref MemoryMarshal.GetArrayDataReference(p.BalanceTarget);
        ref float headroom = ref MemoryMarshal.GetArrayDataReference(p.HeadroomLimit);
        return NodeTerms.PairDelta(
            ref Unsafe.Add(ref load, oa), ref Unsafe.Add(ref load, ob), ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(source), sourceOffset), signA,
            ref Unsafe.Add(ref capacity, oa), ref Unsafe.Add(ref inverse, oa), ref Unsafe.Add(ref target, oa), ref Unsafe.Add(ref headroom, oa),
            ref Unsafe.Add(ref capacity, ob), ref Unsafe.Add(ref inverse, ob), ref Unsafe.Add(ref target, ob), ref Unsafe.Add(ref headroom, ob),
            stride, _wBalance, _wHeadroom, _penalty);
    }

    /// <summary>The part of a move's delta that depends only on where the partition leaves: its node row and its migration weight there.</summary>
    public float LeaveDelta(int partition)
    {
        int from = Assignment[partition];
        return NodeDelta(from, _problem.LoadRow(partition), -1f) - (_wMove * MigrationCost(partition, from))
            + (_extension?.LeaveDelta(partition, from) ?? 0f);
    }

    /// <summary>The part of a move's delta that depends on the target: its node row, migration weight and the coupling edges.</summary>
    public float ArriveDelta(int partition, int node)
    {
        int from = Assignment[partition];
        return NodeDelta(node, _problem.LoadRow(partition), 1f) + (_wMove * MigrationCost(partition, node)) + CouplingDelta(partition, from, node, -1, -1)
            + (_extension?.ArriveDelta(partition, from, node) ?? 0f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float NodeDelta(int node, ReadOnlySpan<float> change, float sign)
    {
        var p = _problem;
        int stride = p.Stride;
        int o = node * stride;
        return NodeTerms.Delta(
            NodeLoad.AsSpan(o, stride), change, sign,
            p.Capacity.AsSpan(o, stride), p.InverseCapacity.AsSpan(o, stride), p.BalanceTarget.AsSpan(o, stride), p.HeadroomLimit.AsSpan(o, stride),
            _wBalance, _wHeadroom, _penalty);
    }

    /// <summary>Pairwise terms of partition moving from -> to; <paramref name="other"/> is treated as sitting on <paramref name="otherNode"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float CouplingDelta(int partition, int from, int to, int other, int otherNode)
    {
        var p = _problem;
        float delta = 0;
        int end = p.CouplingStart[partition + 1];
        for (int e = p.CouplingStart[partition]; e < end; e++)
        {
            int q = p.CouplingTarget[e];
            int at = q == other ? otherNode : Assignment[q];
            int change = (at != to ? 1 : 0) - (at != from ? 1 : 0);
            delta += change * p.CouplingWeight[e];
        }

        return delta;
    }

    /// <summary>Moves partition to node with the deltas computed here: for host phases that apply what they chose, not what a chain proposed.</summary>
    public void MoveTo(int partition, int node) => ApplyMove(partition, node, MoveDelta(partition, node), ViolationDelta(partition, node));

    /// <summary>Energy differences smaller than this are float noise in a tracked energy of this size.</summary>
    public static double FloatNoise(double energy) => (1e-7 * Math.Abs(energy)) + 1e-6;

    public void ApplyMove(int partition, int node, float energyDelta, int violationDelta)
    {
        var p = _problem;
        int from = Assignment[partition];
        int home = p.Initial[partition];
        int moveChange = (node != home ? 1 : 0) - (from != home ? 1 : 0);
        if (moveChange > 0)
        {
            _movedPosition[partition] = Moves;
            _moved[Moves++] = partition;
        }
        else if (moveChange < 0)
        {
            int last = _moved[--Moves];
            int at = _movedPosition[partition];
            _moved[at] = last;
            _movedPosition[last] = at;
            _movedPosition[partition] = -1;
        }

        MovedBytes += moveChange * p.SizeBytes[partition];
        _extension?.Apply(partition, from, node);
        var row = p.LoadRow(partition);
        AddRow(from, row, -1f);
        AddRow(node, row, 1f);
        Members.Remove(from, partition);
        Members.Add(node, partition);
        _groups.Move(p.GroupOf[partition], from, node);
        Assignment[partition] = node;
        Violations += violationDelta;
        Energy += energyDelta + (CostWeights.ViolationPenalty * violationDelta);
    }

    private void AddRow(int node, ReadOnlySpan<float> change, float sign)
    {
        var p = _problem;
        int stride = p.Stride;
        var target = NodeLoad.AsSpan(node * stride, stride);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(change, sign, target, target);
        NodePeak[node] = NodeTerms.Peak(target, NodeRow(p.InverseCapacity, node));
    }

    /// <summary>Energy change of exchanging the nodes of a and b (violations excluded).</summary>
    public float SwapDelta(int a, int b)
    {
        var p = _problem;
        int na = Assignment[a];
        int nb = Assignment[b];
        System.Numerics.Tensors.TensorPrimitives.Subtract(p.LoadRow(b), p.LoadRow(a), _swapChange);
        float delta = RowPairDelta(na, nb, _swapChange, 0, 1f);
        delta += _wMove * (MigrationCost(a, nb) - MigrationCost(a, na) + MigrationCost(b, na) - MigrationCost(b, nb));
        delta += CouplingDelta(a, na, nb, -1, -1);
        delta += CouplingDelta(b, nb, na, a, nb);
        return delta + (_extension?.SwapDelta(a, b) ?? 0f);
    }

    /// <summary>
    /// Violation change of a swap. Partitions of different groups: each side's group sees only its own member move,
    /// and the single-move rule applies to both. Two members of one group (a service's processes, which differ in
    /// load): the group keeps its nodes and zones, so only where each may be allowed changes.
    /// </summary>
    public int SwapViolationDelta(int a, int b)
    {
        int na = Assignment[a];
        int nb = Assignment[b];
        int native = SameGroup(a, b)
            ? AllowedDelta(a, na, nb) + AllowedDelta(b, nb, na)
            : NativeViolationDelta(a, nb) + NativeViolationDelta(b, na);
        return native + (_extension?.SwapViolationDelta(a, b) ?? 0);
    }

    /// <summary>Whether a and b are members of one group.</summary>
    public bool SameGroup(int a, int b) => _problem.GroupOf[a] >= 0 && _problem.GroupOf[a] == _problem.GroupOf[b];

    private int AllowedDelta(int partition, int from, int to) =>
        (_problem.IsAllowed(partition, to) ? 0 : 1) - (_problem.IsAllowed(partition, from) ? 0 : 1);

    public bool SwapWithinBudget(int a, int b)
    {
        var p = _problem;
        int na = Assignment[a];
        int nb = Assignment[b];
        int ha = p.Initial[a];
        int hb = p.Initial[b];
        int changeA = (nb != ha ? 1 : 0) - (na != ha ? 1 : 0);
        int changeB = (na != hb ? 1 : 0) - (nb != hb ? 1 : 0);
        int moveChange = changeA + changeB;
        double bytesChange = (changeA * p.SizeBytes[a]) + (changeB * p.SizeBytes[b]);
        return (moveChange <= 0 || Moves + moveChange <= p.MaxMoves) && (bytesChange <= 0 || MovedBytes + bytesChange <= p.MaxBytes);
    }

    public void ApplySwap(int a, int b, float energyDelta, int violationDelta)
    {
        int na = Assignment[a];
        int nb = Assignment[b];
        // Two single moves through the bookkeeping keep budget, loads and members exact.
        ApplyMove(a, nb, energyDelta, violationDelta);
        ApplyMove(b, na, 0f, 0);
    }
}
