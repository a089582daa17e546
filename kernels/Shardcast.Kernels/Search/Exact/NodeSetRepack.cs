using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Search.Exact;

/// <summary>
/// Re-divides every member of a few nodes among those nodes, exactly: the extended model's terms and constraints over
/// that node set are a mixed-integer linear program (one binary per member and node, safety excess and resource
/// balance as bounded slack columns, the largest moved count of a group as one column), solved by the cbc command
/// (<see cref="CbcCommand"/>, a child process per set) from the current division. Where ruin and recreate places members one at a time, greedily, this finds the best joint
/// division of up to a hundred members, so it can fill a node's last room with the one combination that fits.
/// A division is kept when the state, judged again from scratch, breaks nothing and costs less.
/// <para>
/// It serves problems whose every native term is linear in the assignment: capacity hard (the extended model),
/// the native balance, headroom and pairwise terms at weight 0, no move budget (as for the exact pairs). Each node
/// set is one node drawn from the costliest or from those with room under their safety level; after a node with room
/// come the nodes its emigrants sit on (only they can fill room on a transient resource whose capacity they still
/// hold), then random others.
/// </para>
/// </summary>
internal sealed class NodeSetRepack
{
    /// <summary>Members a node set aims at: CBC solves such subproblems in milliseconds to a few tenths of a second.</summary>
    public const int TargetMembers = 64;

    /// <summary>Members a subproblem takes at most; a node set that would hold more is cut short.</summary>
    public const int MaxMembers = 160;

    public const int MaxSetNodes = 8;

    /// <summary>Branch-and-bound nodes per subproblem, so that a step budget makes the same plans at any speed.</summary>
    public const int NodeLimit = 2000;

    private readonly SearchState _state;
    private readonly CbcCommand _solver;
    private readonly FlatProblem _problem;
    private readonly int _setSize;
    private readonly int[] _nodes;
    private readonly int[] _saved;
    private readonly int[] _room;
    private readonly double[] _initialLoad;
    private readonly int[] _homeStart;
    private readonly int[] _homeList;

    /// <summary>Works on <paramref name="state"/>, solving with <paramref name="solver"/> or else the cbc command found on this machine.</summary>
    public NodeSetRepack(SearchState state, CbcCommand? solver = null)
    {
        if (!Applies(state.Problem))
        {
            throw new ArgumentException("Exact node sets need a linear cost with hard capacity and no move budget.", nameof(state));
        }

        _solver = solver ?? CbcCommand.Default ?? throw new InvalidOperationException($"Exact node sets need CBC: {CbcCommand.Unavailable}");
        _state = state;
        _problem = state.Problem;
        double perNode = (double)_problem.Partitions / _problem.Nodes;
        _setSize = Math.Clamp((int)Math.Round(TargetMembers / Math.Max(1, perNode)), 2, Math.Min(MaxSetNodes, _problem.Nodes));
        _nodes = new int[_setSize];
        _saved = new int[_problem.Partitions];
        _room = new int[_problem.Nodes];
        _initialLoad = NodeSetModel.InitialLoads(_problem);
        (_homeStart, _homeList) = RuinRecreate.ByInitialNode(_problem);
    }

    /// <summary>Nodes per set for this problem.</summary>
    public int SetSize => _setSize;

    /// <summary>Whether this neighbourhood serves the problem and CBC is installed.</summary>
    public static bool Fits(FlatProblem problem) => Applies(problem) && CbcCommand.Default is not null;

    /// <summary>Whether the problem's cost is linear with hard capacity and no move budget (CBC aside).</summary>
    public static bool Applies(FlatProblem problem)
    {
        var w = problem.Weights;
        return PairRepack.Applies(problem) && problem.Nodes >= 2 && w.Balance == 0 && w.Headroom == 0
            && Array.TrueForAll(problem.CouplingWeight, c => c == 0);
    }

    /// <summary>
    /// Solves node sets until <paramref name="setLimit"/> are solved or <paramref name="stop"/> says so; each solve
    /// within the seconds <paramref name="secondsForNextSet"/> gives, when it gives any. Leaves the state exact.
    /// Returns the sets solved and the sets that lowered the energy.
    /// </summary>
    public (long Sets, long Improved) Run(ref CounterRng rng, long setLimit, Func<double?> secondsForNextSet, Func<bool> stop)
    {
        long sets = 0, improved = 0;
        _state.Resynchronise();
        while (sets < setLimit && !stop())
        {
            Choose(ref rng);
            sets++;
            if (Solve(_nodes, secondsForNextSet()))
            {
                improved++;
            }
        }

        return (sets, improved);
    }

    /// <summary>Draws a node set: first the costliest of nine draws or one with room under its safety level (half the time each), then any.</summary>
    private void Choose(ref CounterRng rng)
    {
        int nodes = _problem.Nodes;
        var extension = _state.Extension!;
        int first = rng.NextInt(nodes);
        bool roomFirst = (rng.NextUInt64() & 1) != 0;
        if (!roomFirst)
        {
            for (int t = 0; t < 8; t++)
            {
                int other = rng.NextInt(nodes);
                first = extension.NodeEnergy(other) > extension.NodeEnergy(first) ? other : first;
            }
        }
        else if (extension.DrawNodeWithRoom(ref rng, _room) is >= 0 and var roomNode)
        {
            first = roomNode;
        }

        _nodes[0] = first;
        int chosen = 1;
        if (roomFirst)
        {
            // Where a node's room is on a transient resource whose capacity its emigrants still hold, only they can
            // fill it, coming home; so up to half the set is the nodes they now sit on, drawn in random order.
            chosen = AddEmigrantNodes(first, chosen, (_setSize + 1) / 2, ref rng);
        }

        for (int i = chosen; i < _setSize; i++)
        {
            int n;
            do
            {
                n = rng.NextInt(nodes);
            }
            while (Array.IndexOf(_nodes, n, 0, i) >= 0);
            _nodes[i] = n;
        }
    }

    /// <summary>Adds the distinct nodes that <paramref name="home"/>'s emigrants sit on, until the set holds <paramref name="upTo"/>; returns the count.</summary>
    private int AddEmigrantNodes(int home, int chosen, int upTo, ref CounterRng rng)
    {
        var assignment = _state.Assignment;
        int start = _homeStart[home], end = _homeStart[home + 1];
        for (int i = start; i < end && chosen < upTo; i++)
        {
            // A partial shuffle over the home list, so which emigrants' nodes make the set varies from set to set.
            int j = i + rng.NextInt(end - i);
            (_homeList[i], _homeList[j]) = (_homeList[j], _homeList[i]);
            int at = assignment[_homeList[i]];
            if (at != home && Array.IndexOf(_nodes, at, 0, chosen) < 0)
            {
                _nodes[chosen++] = at;
            }
        }

        return chosen;
    }

    /// <summary>Solves the division of <paramref name="nodes"/>' members and keeps it if it is better. Public for tests.</summary>
    public bool Solve(ReadOnlySpan<int> nodes, double? seconds)
    {
        var state = _state;
        if (state.Violations != 0)
        {
            return false;
        }

        var sub = NodeSetModel.Build(state, nodes, MaxMembers, _initialLoad);
        if (sub is null)
        {
            return false;
        }

        var solution = _solver.Solve(sub.Model, sub.Start, seconds, NodeLimit);
        if (solution is null)
        {
            return false;
        }

        var target = sub.Divide(solution);
        bool changed = false;
        for (int m = 0; m < target.Length; m++)
        {
            changed |= state.Assignment[sub.Members[m]] != target[m];
        }

        if (!changed)
        {
            return false;
        }

        double before = state.Energy;
        state.Assignment.CopyTo(_saved, 0);
        for (int m = 0; m < target.Length; m++)
        {
            if (state.Assignment[sub.Members[m]] != target[m])
            {
                state.MoveTo(sub.Members[m], target[m]);
            }
        }

        state.Resynchronise();
        if (state.Violations == 0 && state.Energy < before - SearchState.FloatNoise(before))
        {
            return true;
        }

        state.Reset(_saved);
        return false;
    }
}
