using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>The extended model's terms of one assignment, unweighted by the search's penalties.</summary>
internal readonly record struct ExtendedCost(
    double Safety, double ResourceBalance, double PartitionMove, double GroupMove, double NodeMove, double TransientOverload, int Violations);

/// <summary>
/// What a <see cref="SearchState"/> keeps for the extended model (<see cref="ProblemExtensions"/>): node loads in
/// double precision (so hard capacity is judged exactly on integer inputs), load still held by partitions that
/// left their initial node, moved members per group with a histogram for the running maximum, and members per
/// group and neighbourhood for dependencies, with the dependents present and needs absent there. Every delta
/// touches the two nodes and one or two groups: O(H*R + balance terms*H); an applied move that changes a group's
/// presence in a neighbourhood also walks its dependency lists. Entry points are never inlined: the search
/// state's native hot paths call them behind a null test and must stay as compact as without the extension
/// (inlined, they cost the native 10k delta evaluation a third of its speed).
/// </summary>
internal sealed class ExtensionState
{
    private readonly FlatProblem _problem;
    private readonly ProblemExtensions _x;
    private readonly int[] _assignment;
    private readonly int _width;
    private readonly double[] _load;
    private readonly double[] _departed;
    private readonly double[] _after;
    private readonly double[] _afterDeparted;
    private readonly int[] _movedInGroup;
    private readonly int[] _histogram;
    private readonly int[] _groupInNeighborhood;
    private readonly int[] _presentDependents;
    private readonly int[] _absentNeeds;
    private readonly double[] _nodeEnergy;
    private readonly int[] _nodeViolations;
    private readonly NodeChange[] _recent = new NodeChange[2];
    private int _maxMoved;
    private long _version;

    /// <summary>A node's energy and violations after a change, remembered: a proposal asks for its violations and then its cost.</summary>
    private record struct NodeChange(long Version, int Node, int Q1, int S1, int Q2, int S2, double Energy, int Violations);

    public ExtensionState(FlatProblem problem, ProblemExtensions extensions, int[] assignment)
    {
        _problem = problem;
        _x = extensions;
        _assignment = assignment;
        _width = extensions.Width;
        _load = new double[problem.Nodes * _width];
        _departed = new double[problem.Nodes * _width];
        _after = new double[_width];
        _afterDeparted = new double[_width];
        _movedInGroup = new int[problem.Groups];
        _histogram = new int[problem.LargestGroup() + 2];
        _groupInNeighborhood = extensions.HasDependencies ? new int[problem.Groups * extensions.Neighborhoods] : [];
        _presentDependents = new int[_groupInNeighborhood.Length];
        _absentNeeds = new int[_groupInNeighborhood.Length];
        _nodeEnergy = new double[problem.Nodes];
        _nodeViolations = new int[problem.Nodes];
    }

    /// <summary>Recomputes everything from the assignment.</summary>
    public void Reset()
    {
        var p = _problem;
        Array.Clear(_load);
        Array.Clear(_departed);
        Array.Clear(_movedInGroup);
        Array.Clear(_histogram);
        Array.Clear(_groupInNeighborhood);
        for (int i = 0; i < p.Partitions; i++)
        {
            int n = _assignment[i];
            int home = p.Initial[i];
            AddRow(_load, n, i, 1);
            if (n != home)
            {
                AddDeparted(home, i, 1);
                if (p.GroupOf[i] >= 0)
                {
                    _movedInGroup[p.GroupOf[i]]++;
                }
            }

            if (_x.HasDependencies && p.GroupOf[i] >= 0)
            {
                _groupInNeighborhood[(p.GroupOf[i] * _x.Neighborhoods) + _x.NodeNeighborhood[n]]++;
            }
        }

        CountDependencies();
        _maxMoved = 0;
        foreach (int c in _movedInGroup)
        {
            _histogram[c]++;
            _maxMoved = Math.Max(_maxMoved, c);
        }

        for (int n = 0; n < p.Nodes; n++)
        {
            CacheNode(n);
        }

        _version++;
    }

    private void CacheNode(int node)
    {
        var terms = NodeTerms(node, _load.AsSpan(node * _width, _width), _departed.AsSpan(node * _width, _width));
        _nodeEnergy[node] = Energy(terms);
        _nodeViolations[node] = terms.Violations;
    }

    private static double Energy((double Safety, double Balance, double TransientOverload, int Violations) terms) =>
        terms.Safety + terms.Balance + (CostWeights.OverloadPenalty * terms.TransientOverload);

    public ExtendedCost Cost()
    {
        var p = _problem;
        double safety = 0, balance = 0, transient = 0;
        int violations = 0;
        for (int n = 0; n < p.Nodes; n++)
        {
            var terms = NodeTerms(n, _load.AsSpan(n * _width, _width), _departed.AsSpan(n * _width, _width));
            safety += terms.Safety;
            balance += terms.Balance;
            transient += terms.TransientOverload;
            violations += terms.Violations;
        }

        double partitionMove = 0, nodeMove = 0;
        for (int i = 0; i < p.Partitions; i++)
        {
            partitionMove += _assignment[i] != p.Initial[i] ? _x.MoveCost[i] : 0;
            nodeMove += NodePairCost(p.Initial[i], _assignment[i]);
        }

        for (int g = 0; g < p.Groups; g++)
        {
            for (int d = _x.DependsStart[g]; d < _x.DependsStart[g + 1]; d++)
            {
                for (int nb = 0; nb < _x.Neighborhoods; nb++)
                {
                    violations += Broken(InNeighborhood(g, nb), InNeighborhood(_x.DependsOn[d], nb));
                }
            }
        }

        return new ExtendedCost(safety, balance, _x.PartitionMoveWeight * partitionMove, _x.GroupMoveWeight * _maxMoved, _x.NodeMoveWeight * nodeMove, transient, violations);
    }

    /// <summary>Energy change at the node a partition leaves.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public float LeaveDelta(int partition, int from) => (float)NodeDelta(from, partition, -1, -1, 0, out _);

    /// <summary>Energy change at the target node plus the move costs, which depend on both ends.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public float ArriveDelta(int partition, int from, int to) =>
        (float)(NodeDelta(to, partition, 1, -1, 0, out _) + MoveCost(partition, from, to));

    /// <summary>Energy change at `node` when it gains `gain` and loses `loss` (-1: none), with the violation change there.</summary>
    public double ReplaceDelta(int node, int gain, int loss, out int violationDelta) =>
        gain >= 0 ? NodeDelta(node, gain, 1, loss, -1, out violationDelta) : NodeDelta(node, loss, -1, -1, 0, out violationDelta);

    /// <summary>Broken dependencies added by one partition moving from -> to, judged on the present counts alone.</summary>
    public int DependencyMoveDelta(int partition, int from, int to) =>
        DependencyDelta(_problem.GroupOf[partition], _x.NodeNeighborhood[from], _x.NodeNeighborhood[to]);

    /// <summary>The move costs of one partition going from -> to, the group maximum judged alone.</summary>
    public double MoveCost(int partition, int from, int to) => MoveCostDelta(partition, from, to, GroupMoveDelta(partition, from, to));

    [MethodImpl(MethodImplOptions.NoInlining)]
    public float MoveDelta(int partition, int from, int to) => LeaveDelta(partition, from) + ArriveDelta(partition, from, to);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int MoveViolationDelta(int partition, int from, int to)
    {
        NodeDelta(from, partition, -1, -1, 0, out int atFrom);
        NodeDelta(to, partition, 1, -1, 0, out int atTo);
        return atFrom + atTo + DependencyDelta(_problem.GroupOf[partition], _x.NodeNeighborhood[from], _x.NodeNeighborhood[to]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public float SwapDelta(int a, int b)
    {
        int na = _assignment[a];
        int nb = _assignment[b];
        double nodes = NodeDelta(na, a, -1, b, 1, out _) + NodeDelta(nb, a, 1, b, -1, out _);
        double groupA = GroupMoveDelta(a, na, nb);
        int changeA = MovedChange(a, na, nb);
        ChangeMovedCount(_problem.GroupOf[a], changeA);
        double groupB = GroupMoveDelta(b, nb, na);
        ChangeMovedCount(_problem.GroupOf[a], -changeA);
        return (float)(nodes + MoveCostDelta(a, na, nb, groupA) + MoveCostDelta(b, nb, na, groupB));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int SwapViolationDelta(int a, int b)
    {
        int na = _assignment[a];
        int nb = _assignment[b];
        NodeDelta(na, a, -1, b, 1, out int atA);
        NodeDelta(nb, a, 1, b, -1, out int atB);
        int ga = _problem.GroupOf[a];
        int nbA = _x.NodeNeighborhood[na];
        int nbB = _x.NodeNeighborhood[nb];
        int dependencies = DependencyDelta(ga, nbA, nbB);
        ChangeNeighborhoodCount(ga, nbA, nbB);
        dependencies += DependencyDelta(_problem.GroupOf[b], nbB, nbA);
        ChangeNeighborhoodCount(ga, nbB, nbA);
        return atA + atB + dependencies;
    }

    /// <summary>
    /// Whether node `to` would be over capacity in some lane (transient load included) after gaining partition
    /// `gain` and losing `loss` (-1: none). A quick exact test, so proposals onto full nodes are refused before
    /// their terms are computed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool Overflows(int to, int gain, int loss)
    {
        if (!_x.HardCapacity)
        {
            return false;
        }

        int resources = _x.Resources;
        var load = _load.AsSpan(to * _width, _width);
        var capacity = _x.Capacity.AsSpan(to * resources, resources);
        var gained = _x.LoadRow(gain);
        var lost = loss >= 0 ? _x.LoadRow(loss) : default;
        if (LoadOverflows(load, gained, lost, capacity))
        {
            return true;
        }

        return _x.HasTransient && TransientOverflows(to, gain, loss, load, capacity, gained, lost);
    }

    /// <summary>Whether load + gained - lost exceeds capacity in some lane: four doubles at a time, then the tail.</summary>
    private bool LoadOverflows(ReadOnlySpan<double> load, ReadOnlySpan<double> gained, ReadOnlySpan<double> lost, ReadOnlySpan<double> capacity)
    {
        int resources = capacity.Length;
        for (int h = 0; h < _x.Steps; h++)
        {
            int o = h * resources;
            int r = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; r <= resources - Vector256<double>.Count; r += Vector256<double>.Count)
                {
                    // Grouped as the scalar test groups it: load + (gained - lost).
                    var change = Vector256.Create(gained.Slice(o + r, Vector256<double>.Count));
                    if (!lost.IsEmpty)
                    {
                        change -= Vector256.Create(lost.Slice(o + r, Vector256<double>.Count));
                    }

                    var after = Vector256.Create(load.Slice(o + r, Vector256<double>.Count)) + change;
                    if (Vector256.GreaterThanAny(after, Vector256.Create(capacity.Slice(r, Vector256<double>.Count))))
                    {
                        return true;
                    }
                }
            }

            for (; r < resources; r++)
            {
                if (load[o + r] + (gained[o + r] - (lost.IsEmpty ? 0 : lost[o + r])) > capacity[r])
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The transient lanes: a partition returning home was already held there; one leaving its home stays held.</summary>
    private bool TransientOverflows(int to, int gain, int loss, ReadOnlySpan<double> load, ReadOnlySpan<double> capacity, ReadOnlySpan<double> gained, ReadOnlySpan<double> lost)
    {
        int resources = _x.Resources;
        var departed = _departed.AsSpan(to * _width, _width);
        bool gainHome = _problem.Initial[gain] == to;
        bool lossHome = loss >= 0 && _problem.Initial[loss] == to;
        for (int h = 0, k = 0; h < _x.Steps; h++)
        {
            for (int r = 0; r < resources; r++, k++)
            {
                if (!_x.Transient[r])
                {
                    continue;
                }

                double after = load[k] + (gained[k] - (loss >= 0 ? lost[k] : 0));
                double held = after + departed[k] - (gainHome ? gained[k] : 0) + (lossHome ? lost[k] : 0);
                if (held > capacity[r] && held > after)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Records partition moving from -> to; call before the assignment changes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Apply(int partition, int from, int to)
    {
        int home = _problem.Initial[partition];
        AddRow(_load, from, partition, -1);
        AddRow(_load, to, partition, 1);
        int moved = MovedChange(partition, from, to);
        if (moved != 0)
        {
            AddDeparted(home, partition, moved);
            ChangeMovedCount(_problem.GroupOf[partition], moved);
        }

        ChangeNeighborhoodCount(_problem.GroupOf[partition], _x.NodeNeighborhood[from], _x.NodeNeighborhood[to]);
        CacheNode(from);
        CacheNode(to);
        _version++;
    }

    private int MovedChange(int partition, int from, int to)
    {
        int home = _problem.Initial[partition];
        return (to != home ? 1 : 0) - (from != home ? 1 : 0);
    }

    private double NodePairCost(int from, int to) => _x.NodeMoveCost is { } m ? m[(from * _problem.Nodes) + to] : 0;

    private double MoveCostDelta(int partition, int from, int to, double groupDelta)
    {
        int home = _problem.Initial[partition];
        return (_x.PartitionMoveWeight * _x.MoveCost[partition] * MovedChange(partition, from, to))
             + (_x.NodeMoveWeight * (NodePairCost(home, to) - NodePairCost(home, from)))
             + groupDelta;
    }

    /// <summary>Change of the weighted running maximum of moved members per group.</summary>
    private double GroupMoveDelta(int partition, int from, int to)
    {
        int g = _problem.GroupOf[partition];
        int change = MovedChange(partition, from, to);
        if (g < 0 || change == 0 || _x.GroupMoveWeight == 0)
        {
            return 0;
        }

        int count = _movedInGroup[g];
        int max = change > 0 ? Math.Max(_maxMoved, count + 1) : count == _maxMoved && _histogram[count] == 1 ? _maxMoved - 1 : _maxMoved;
        return _x.GroupMoveWeight * (max - _maxMoved);
    }

    private void ChangeMovedCount(int group, int change)
    {
        if (group < 0 || change == 0)
        {
            return;
        }

        _histogram[_movedInGroup[group]]--;
        _movedInGroup[group] += change;
        _histogram[_movedInGroup[group]]++;
        if (_movedInGroup[group] > _maxMoved)
        {
            _maxMoved = _movedInGroup[group];
        }
        else if (_histogram[_maxMoved] == 0)
        {
            _maxMoved--;
        }
    }

    private int InNeighborhood(int group, int neighborhood) => _groupInNeighborhood[(group * _x.Neighborhoods) + neighborhood];

    private void ChangeNeighborhoodCount(int group, int from, int to)
    {
        if (group >= 0 && from != to && _x.HasDependencies)
        {
            int nb = _x.Neighborhoods;
            if (--_groupInNeighborhood[(group * nb) + from] == 0)
            {
                PresenceChanged(group, from, -1);
            }

            if (_groupInNeighborhood[(group * nb) + to]++ == 0)
            {
                PresenceChanged(group, to, 1);
            }
        }
    }

    private static int Broken(int have, int needed) => have > 0 && needed == 0 ? 1 : 0;

    /// <summary>
    /// Per group and neighbourhood, how many of its dependents are present there and how many of its needs are absent:
    /// what a change of the group's own presence there changes, so a move's dependency delta costs O(1) however many
    /// services depend on the moving one.
    /// </summary>
    private void CountDependencies()
    {
        if (!_x.HasDependencies)
        {
            return;
        }

        int nb = _x.Neighborhoods;
        for (int g = 0; g < _problem.Groups; g++)
        {
            for (int n = 0; n < nb; n++)
            {
                int present = 0, absent = 0;
                for (int d = _x.DependentStart[g]; d < _x.DependentStart[g + 1]; d++)
                {
                    present += InNeighborhood(_x.Dependents[d], n) > 0 ? 1 : 0;
                }

                for (int d = _x.DependsStart[g]; d < _x.DependsStart[g + 1]; d++)
                {
                    absent += InNeighborhood(_x.DependsOn[d], n) == 0 ? 1 : 0;
                }

                _presentDependents[(g * nb) + n] = present;
                _absentNeeds[(g * nb) + n] = absent;
            }
        }
    }

    /// <summary>Group g appeared in (change 1) or left (-1) a neighbourhood: what it needs gains or loses a present dependent there, what depends on it an absent need.</summary>
    private void PresenceChanged(int group, int neighborhood, int change)
    {
        int nb = _x.Neighborhoods;
        for (int d = _x.DependsStart[group]; d < _x.DependsStart[group + 1]; d++)
        {
            _presentDependents[(_x.DependsOn[d] * nb) + neighborhood] += change;
        }

        for (int d = _x.DependentStart[group]; d < _x.DependentStart[group + 1]; d++)
        {
            _absentNeeds[(_x.Dependents[d] * nb) + neighborhood] -= change;
        }
    }

    /// <summary>
    /// Change in broken dependencies when one member of group moves between neighbourhoods. Only presence counts:
    /// leaving `from` (its last member there) breaks each present dependent's need and mends each of its own needs
    /// absent there; entering `to` (its first) does the opposite. The scan over every need and dependent that this
    /// replaces stays in the kernel source (x_dependency_delta), and the device's identical plans check the two agree.
    /// </summary>
    private int DependencyDelta(int group, int from, int to)
    {
        if (group < 0 || from == to || !_x.HasDependencies)
        {
            return 0;
        }

        int nb = _x.Neighborhoods;
        int delta = 0;
        if (InNeighborhood(group, from) == 1)
        {
            delta += _presentDependents[(group * nb) + from] - _absentNeeds[(group * nb) + from];
        }

        if (InNeighborhood(group, to) == 0)
        {
            delta += _absentNeeds[(group * nb) + to] - _presentDependents[(group * nb) + to];
        }

        return delta;
    }

    /// <summary>A node's own terms (safety excess, balance, transient overload at its penalty) as last applied.</summary>
    public double NodeEnergy(int node) => _nodeEnergy[node];

    /// <summary>Whether load under a priced safety level is left on the node, on some resource and step: load arriving there costs no excess.</summary>
    public bool HasRoomUnderSafety(int node)
    {
        var load = _load.AsSpan(node * _width, _width);
        for (int k = 0; k < _width; k++)
        {
            int r = k % _x.Resources;
            if (_x.SafetyWeight[r] > 0 && load[k] < _x.Safety[(node * _x.Resources) + r])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A node drawn uniformly from those other than <paramref name="except"/> with room under a priced safety level
    /// (<see cref="HasRoomUnderSafety"/>), listed into <paramref name="scratch"/> (one entry per node); -1 when there is
    /// none, and then nothing is drawn from <paramref name="rng"/>.
    /// </summary>
    public int DrawNodeWithRoom(ref CounterRng rng, Span<int> scratch, int except = -1)
    {
        int withRoom = 0;
        for (int n = 0; n < _problem.Nodes; n++)
        {
            if (n != except && HasRoomUnderSafety(n))
            {
                scratch[withRoom++] = n;
            }
        }

        return withRoom > 0 ? scratch[rng.NextInt(withRoom)] : -1;
    }

    /// <summary>
    /// What the hard capacity judges on a node, lane by lane: its load plus, on transient lanes, what partitions
    /// that left it as their initial node still hold there.
    /// </summary>
    public void HeldUsage(int node, Span<double> into)
    {
        var load = _load.AsSpan(node * _width, _width);
        var departed = _departed.AsSpan(node * _width, _width);
        for (int k = 0; k < _width; k++)
        {
            into[k] = load[k] + (_x.Transient[k % _x.Resources] ? departed[k] : 0);
        }
    }

    private void AddRow(double[] target, int node, int partition, int sign)
    {
        var row = _x.LoadRow(partition);
        var into = target.AsSpan(node * _width, _width);
        for (int k = 0; k < _width; k++)
        {
            into[k] += sign * row[k];
        }
    }

    private void AddDeparted(int home, int partition, int sign)
    {
        if (_x.HasTransient)
        {
            AddRow(_departed, home, partition, sign);
        }
    }

    /// <summary>
    /// Energy change of a node whose load changes by s1 times partition q1's row and s2 times q2's (q2 &lt; 0: none).
    /// A partition leaving its initial node keeps its transient load there; one returning home stops counting twice.
    /// </summary>
    private double NodeDelta(int node, int q1, int s1, int q2, int s2, out int violationDelta)
    {
        for (int i = 0; i < _recent.Length; i++)
        {
            var c = _recent[i];
            if (c.Version == _version && c.Node == node && c.Q1 == q1 && c.S1 == s1 && c.Q2 == q2 && c.S2 == s2)
            {
                // Most recently used first: a scan over targets keeps hitting the source node's entry.
                (_recent[i], _recent[0]) = (_recent[0], c);
                violationDelta = c.Violations - _nodeViolations[node];
                return c.Energy - _nodeEnergy[node];
            }
        }

        var load = _load.AsSpan(node * _width, _width);
        var departed = _departed.AsSpan(node * _width, _width);
        load.CopyTo(_after);
        departed.CopyTo(_afterDeparted);
        Shift(node, q1, s1);
        if (q2 >= 0)
        {
            Shift(node, q2, s2);
        }

        var after = NodeTerms(node, _after, _afterDeparted);
        double energy = Energy(after);
        _recent[1] = _recent[0];
        _recent[0] = new NodeChange(_version, node, q1, s1, q2, s2, energy, after.Violations);
        violationDelta = after.Violations - _nodeViolations[node];
        return energy - _nodeEnergy[node];
    }

    private void Shift(int node, int partition, int sign)
    {
        var row = _x.LoadRow(partition);
        bool home = _problem.Initial[partition] == node && _x.HasTransient;
        for (int k = 0; k < _width; k++)
        {
            _after[k] += sign * row[k];
            if (home)
            {
                _afterDeparted[k] -= sign * row[k];
            }
        }
    }

    private (double Safety, double Balance, double TransientOverload, int Violations) NodeTerms(int node, ReadOnlySpan<double> load, ReadOnlySpan<double> departed)
    {
        int resources = _x.Resources;
        double safety = 0, balance = 0, transient = 0;
        int violations = 0;
        var capacity = _x.Capacity.AsSpan(node * resources, resources);
        var limit = _x.Safety.AsSpan(node * resources, resources);
        for (int h = 0, k = 0; h < _x.Steps; h++)
        {
            for (int r = 0; r < resources; r++, k++)
            {
                double l = load[k];
                safety += _x.SafetyWeight[r] * Math.Max(0, l - limit[r]);
                double held = l + departed[k];
                if (_x.HardCapacity)
                {
                    violations += l > capacity[r] ? 1 : 0;
                    violations += _x.Transient[r] && held > capacity[r] && held > l ? 1 : 0;
                }
                else if (_x.Transient[r] && held > l)
                {
                    transient += (Math.Max(0, held - capacity[r]) - Math.Max(0, l - capacity[r])) / _x.RelativeScale[r];
                }
            }
        }

        for (int t = 0; t < _x.BalanceA.Length; t++)
        {
            int a = _x.BalanceA[t];
            int b = _x.BalanceB[t];
            for (int h = 0; h < _x.Steps; h++)
            {
                double availableA = capacity[a] - load[(h * resources) + a];
                double availableB = capacity[b] - load[(h * resources) + b];
                balance += _x.BalanceWeight[t] * Math.Max(0, (_x.BalanceTarget[t] * availableA) - availableB);
            }
        }

        return (safety, balance, transient, violations);
    }
}
