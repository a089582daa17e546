using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// Ruin and recreate over a few nodes where capacity is hard: a handful of members are taken off two to four nodes
/// (and, half the time, one or two partitions whose initial node is among them and that sit elsewhere, so they may
/// come home), then put back one by one, each on the node where it adds least, every node open to it. Unlike a chain
/// of single moves, every member is judged against the room all the others left: three small members of a full node
/// can give way to one large one that no single move or swap could place.
/// <para>
/// The search state has no unassigned partitions, so the taken members wait on a parking node outside the ruined
/// set; what a member would add to a node does not depend on where it waits, so each one is placed by the target
/// half of a move's delta (<see cref="SearchState.ArriveDelta"/>), and the parking node is never a target. A round is
/// kept when it breaks nothing new and its exact energy is no higher than before (sideways rounds walk plateaus);
/// otherwise every member goes back where it was.
/// </para>
/// </summary>
internal sealed class RuinRecreate
{
    /// <summary>Members taken at most in one round.</summary>
    public const int MaxRemoved = 32;

    /// <summary>Nodes up to which every node is a candidate target for every member.</summary>
    public const int MaxNodes = 256;

    /// <summary>Rejected rounds between exact recomputations, so float drift from walking back stays negligible.</summary>
    private const int ResynchroniseEvery = 64;

    private static readonly int[] NodeCounts = [2, 2, 3, 3, 4];
    private static readonly int[] TakeCounts = [1, 2, 3, 4, 6];

    private readonly SearchState _state;
    private readonly ExtensionState _extension;
    private readonly FlatProblem _problem;
    private readonly int[] _homeStart;
    private readonly int[] _homeList;
    private readonly int[] _removed = new int[MaxRemoved];
    private readonly int[] _from = new int[MaxRemoved];
    private readonly float[] _size = new float[MaxRemoved];
    private readonly int[] _ruined = new int[4];
    private readonly int[] _roomNodes;
    private readonly int[] _scratch;
    private int _count;
    private int _rejectedSinceSync;
    private double _exactEnergy;

    /// <summary>Works on <paramref name="state"/>, which nothing else may change between rounds, except before a <see cref="Rebase"/>.</summary>
    public RuinRecreate(SearchState state)
    {
        _state = state;
        _extension = state.Extension ?? throw new ArgumentException("Ruin and recreate needs the extended model's hard capacity.", nameof(state));
        _problem = state.Problem;
        (_homeStart, _homeList) = ByInitialNode(_problem);
        _scratch = new int[Math.Max(MaxRemoved, _problem.Partitions / Math.Max(1, _problem.Nodes) * 4)];
        _roomNodes = new int[_problem.Nodes];
        Rebase();
    }

    /// <summary>The state the rounds work on.</summary>
    public SearchState State => _state;

    /// <summary>Takes the state as it now is as the plan the next round starts from, after it was reset from outside.</summary>
    public void Rebase()
    {
        _state.Resynchronise();
        _exactEnergy = _state.Energy;
        _rejectedSinceSync = 0;
    }

    /// <summary>Whether this neighbourhood serves the problem: as for the exact pairs, and with enough nodes to ruin some and park elsewhere.</summary>
    public static bool Fits(FlatProblem problem) => PairRepack.Applies(problem) && problem.Nodes is >= 3 and <= MaxNodes;

    /// <summary>
    /// Runs rounds until <paramref name="idleLimit"/> rounds in a row gain nothing, <paramref name="roundLimit"/>
    /// rounds are run or <paramref name="stop"/> says so. Leaves the state exact. Returns the rounds run and the
    /// rounds that lowered the energy.
    /// </summary>
    public (long Rounds, long Improved) Run(ref CounterRng rng, long roundLimit, long idleLimit, Func<bool> stop)
    {
        long rounds = 0, improved = 0, idle = 0;
        while (rounds < roundLimit && idle < idleLimit && !stop())
        {
            rounds++;
            double gain = Round(ref rng);
            if (gain > 0)
            {
                improved++;
                idle = 0;
            }
            else
            {
                idle++;
            }
        }

        _state.Resynchronise();
        return (rounds, improved);
    }

    /// <summary>
    /// One ruin and recreate. Returns the exact energy gained: positive when the round lowered the energy, 0 when it
    /// was rejected or kept as a sideways step.
    /// </summary>
    public double Round(ref CounterRng rng)
    {
        var state = _state;
        if (!Ruin(ref rng, out int park))
        {
            return 0;
        }

        double startEnergy = state.Energy;
        int startViolations = state.Violations;
        for (int i = 0; i < _count; i++)
        {
            _state.MoveTo(_removed[i], park);
        }

        Order(ref rng);
        bool placed = true;
        for (int i = 0; i < _count && placed; i++)
        {
            placed = PlaceBest(_removed[i], park);
        }

        if (placed && state.Violations <= startViolations && state.Energy <= startEnergy + SearchState.FloatNoise(startEnergy))
        {
            // Judged against the exact energy of the plan the round started from, never the tracked one, so float
            // drift cannot let sideways rounds creep upward.
            state.Resynchronise();
            _rejectedSinceSync = 0;
            if (state.Violations <= startViolations && state.Energy <= _exactEnergy)
            {
                double gain = _exactEnergy - state.Energy;
                _exactEnergy = state.Energy;
                return gain;
            }
        }

        WalkBack();
        if (++_rejectedSinceSync >= ResynchroniseEvery)
        {
            state.Resynchronise();
            _rejectedSinceSync = 0;
        }

        return 0;
    }

    /// <summary>Chooses the ruined nodes, the members taken and a parking node; false when this round has nothing to do.</summary>
    private bool Ruin(ref CounterRng rng, out int park)
    {
        var state = _state;
        var problem = _problem;
        int nodes = problem.Nodes;
        int k = Math.Min(NodeCounts[rng.NextInt(NodeCounts.Length)], nodes - 1);

        // The first node is the costliest of three drawn: rounds start where the cost is, and still reach everywhere.
        int first = rng.NextInt(nodes);
        for (int draw = 0; draw < 2; draw++)
        {
            int other = rng.NextInt(nodes);
            if (_extension.NodeEnergy(other) > _extension.NodeEnergy(first))
            {
                first = other;
            }
        }

        _ruined[0] = first;
        int chosen = 1;
        // Half the rounds with a second node take one with load left under a priced safety level, where what arrives
        // costs no excess: on ROADEF a1_2 the plan's whole distance to the bound is one such machine, which random
        // draws reach in one round of fifty; filling it means taking load off a costly node and onto it in one round.
        if (chosen < k && (rng.NextUInt64() & 1) == 0 && _extension.DrawNodeWithRoom(ref rng, _roomNodes, except: first) is >= 0 and var roomNode)
        {
            _ruined[chosen++] = roomNode;
        }

        while (chosen < k)
        {
            int n = rng.NextInt(nodes);
            if (Array.IndexOf(_ruined, n, 0, chosen) < 0)
            {
                _ruined[chosen++] = n;
            }
        }

        _count = 0;
        for (int c = 0; c < chosen; c++)
        {
            TakeMembers(_ruined[c], TakeCounts[rng.NextInt(TakeCounts.Length)], ref rng);
        }

        if (rng.NextInt(2) == 0)
        {
            TakeEmigrants(chosen, 1 + rng.NextInt(2), ref rng);
        }

        park = -1;
        if (_count == 0)
        {
            return false;
        }

        for (int attempt = 0; attempt < 8; attempt++)
        {
            int candidate = rng.NextInt(nodes);
            if (CanPark(candidate))
            {
                park = candidate;
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes up to <paramref name="take"/> random movable members of a node.</summary>
    private void TakeMembers(int node, int take, ref CounterRng rng)
    {
        var members = _state.Members.Of(node);
        int n = 0;
        foreach (int p in members)
        {
            if (!_problem.Pinned[p] && n < _scratch.Length)
            {
                _scratch[n++] = p;
            }
        }

        AddRandom(n, take, ref rng);
    }

    /// <summary>Takes up to <paramref name="take"/> partitions whose initial node is ruined and that sit on another node.</summary>
    private void TakeEmigrants(int ruinedCount, int take, ref CounterRng rng)
    {
        var assignment = _state.Assignment;
        int n = 0;
        for (int c = 0; c < ruinedCount; c++)
        {
            int home = _ruined[c];
            for (int i = _homeStart[home]; i < _homeStart[home + 1] && n < _scratch.Length; i++)
            {
                int p = _homeList[i];
                if (assignment[p] != home && !_problem.Pinned[p] && Array.IndexOf(_removed, p, 0, _count) < 0)
                {
                    _scratch[n++] = p;
                }
            }
        }

        AddRandom(n, take, ref rng);
    }

    /// <summary>Moves up to <paramref name="take"/> of the first <paramref name="n"/> scratch entries, drawn at random, into the taken set.</summary>
    private void AddRandom(int n, int take, ref CounterRng rng)
    {
        for (int i = 0; i < n && take > 0 && _count < MaxRemoved; i++)
        {
            int j = i + rng.NextInt(n - i);
            (_scratch[i], _scratch[j]) = (_scratch[j], _scratch[i]);
            int p = _scratch[i];
            _removed[_count] = p;
            _from[_count] = _state.Assignment[p];
            _count++;
            take--;
        }
    }

    /// <summary>A parking node holds none of the taken members and may hold all of them.</summary>
    private bool CanPark(int node)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_from[i] == node || !_problem.IsAllowed(_removed[i], node))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Half the rounds place the largest first (relative to their initial node's capacity), half at random.</summary>
    private void Order(ref CounterRng rng)
    {
        bool largestFirst = rng.NextInt(2) == 0;
        for (int i = 0; i < _count; i++)
        {
            int p = _removed[i];
            _size[i] = largestFirst ? -_problem.RelativeSize(p, _problem.Initial[p]) : (float)rng.NextDouble();
        }

        // _from travels with _removed, so the walk back still finds each member's node.
        for (int i = 1; i < _count; i++)
        {
            float key = _size[i];
            int p = _removed[i], f = _from[i];
            int j = i - 1;
            while (j >= 0 && _size[j] > key)
            {
                _size[j + 1] = _size[j];
                _removed[j + 1] = _removed[j];
                _from[j + 1] = _from[j];
                j--;
            }

            _size[j + 1] = key;
            _removed[j + 1] = p;
            _from[j + 1] = f;
        }
    }

    /// <summary>
    /// Puts a parked member on the node where it breaks least and then adds least; false when every node open to it
    /// would go over a hard capacity.
    /// </summary>
    private bool PlaceBest(int p, int park)
    {
        var state = _state;
        var problem = _problem;
        int best = -1;
        int bestViolations = int.MaxValue;
        float bestDelta = float.PositiveInfinity;
        for (int node = 0; node < problem.Nodes; node++)
        {
            if (node == park || !problem.IsAllowed(p, node) || state.Overflows(p, node))
            {
                continue;
            }

            int violations = state.ViolationDelta(p, node);
            if (violations > bestViolations)
            {
                continue;
            }

            float delta = state.ArriveDelta(p, node);
            if (violations < bestViolations || delta < bestDelta)
            {
                best = node;
                bestViolations = violations;
                bestDelta = delta;
            }
        }

        if (best < 0)
        {
            return false;
        }

        _state.MoveTo(p, best);
        return true;
    }

    /// <summary>Every taken member back on the node it was taken from.</summary>
    private void WalkBack()
    {
        for (int i = 0; i < _count; i++)
        {
            if (_state.Assignment[_removed[i]] != _from[i])
            {
                _state.MoveTo(_removed[i], _from[i]);
            }
        }
    }

    /// <summary>Partitions grouped by initial node (CSR), so the partitions that left a node are found without a scan.</summary>
    internal static (int[] Start, int[] List) ByInitialNode(FlatProblem problem)
    {
        var start = new int[problem.Nodes + 1];
        foreach (int n in problem.Initial)
        {
            start[n + 1]++;
        }

        for (int n = 0; n < problem.Nodes; n++)
        {
            start[n + 1] += start[n];
        }

        var list = new int[problem.Partitions];
        var next = start[..^1].ToArray();
        for (int p = 0; p < problem.Partitions; p++)
        {
            list[next[problem.Initial[p]]++] = p;
        }

        return (start, list);
    }
}
