using System.Numerics.Tensors;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// An exact neighbourhood of two nodes where capacity is hard: every way of dividing the movable members of nodes
/// a and b between them, searched depth-first with bounds, the best kept when it lowers the energy without adding
/// a violation. It finds what no chain of single moves and swaps reaches when nodes are nearly full: three of a's
/// members for two of b's, a node emptied and refilled. The members are first parked on a; the search then
/// chooses, largest first, which go to b. b only gains, so a member that overflows b is never tried below that
/// point; a only loses, so a branch stops once a cannot fit even if every member still undecided left it. Every
/// step goes through the search state's own incremental bookkeeping, and the best division is judged again by an
/// exact recomputation before it is kept: the bounds choose what to visit, never what is accepted.
/// </summary>
internal sealed class PairRepack
{
    /// <summary>Members divided at most; a pair with more takes a random subset of this size (the rest stay put).</summary>
    public const int MaxItems = 30;

    /// <summary>Divisions visited at most per pair, so one dense pair cannot take a whole budget.</summary>
    public const long DefaultVisitBudget = 40_000;

    private readonly SearchState _state;
    private readonly ExtensionState _extension;
    private readonly ProblemExtensions _x;
    private readonly int _width;
    private readonly int[] _items = new int[MaxItems];
    private readonly int[] _origin = new int[MaxItems];
    private readonly float[] _size = new float[MaxItems];
    private readonly bool[] _onB = new bool[MaxItems];
    private readonly bool[] _bestOnB = new bool[MaxItems];
    private readonly double[] _release;
    private readonly double[] _suffix;
    private readonly double[] _heldA;
    private readonly List<int> _candidates = [];
    private int _count;
    private int _a;
    private int _b;
    private int _allowedViolations;
    private double _bestEnergy;
    private long _visited;
    private long _budget;

    public PairRepack(SearchState state)
    {
        _state = state;
        _extension = state.Extension ?? throw new ArgumentException("Pair repacking needs the extended model's hard capacity.", nameof(state));
        _x = state.Problem.Extensions!;
        _width = _x.Width;
        _release = new double[MaxItems * _width];
        _suffix = new double[(MaxItems + 1) * _width];
        _heldA = new double[_width];
    }

    /// <summary>Nodes up to which a sweep over every pair is affordable within a share of a budget of seconds.</summary>
    public const int MaxSweepNodes = 128;

    /// <summary>Whether the problem is one this neighbourhood serves: hard capacity, and no move budget to keep.</summary>
    public static bool Applies(FlatProblem problem) =>
        problem.Extensions is { HardCapacity: true } && problem.MaxMoves >= problem.Partitions && double.IsPositiveInfinity(problem.MaxBytes);

    /// <summary>Whether sweeping every pair fits: the neighbourhood applies and the nodes are few enough.</summary>
    public static bool SweepFits(FlatProblem problem) => Applies(problem) && problem.Nodes is >= 2 and <= MaxSweepNodes;

    /// <summary>
    /// Re-divides the members of a and b as well as the bounded search finds; leaves the state exact (resynchronised)
    /// when it changed it. Returns the energy gained (0 when the division is unchanged).
    /// </summary>
    public double Run(int a, int b, ref CounterRng rng, long visitBudget = DefaultVisitBudget)
    {
        var state = _state;
        _a = a;
        _b = b;
        _visited = 0;
        _budget = visitBudget;
        if (!Collect(ref rng))
        {
            return 0;
        }

        _allowedViolations = state.Violations;
        double mustBeat = state.Energy - SearchState.FloatNoise(state.Energy);
        _bestEnergy = mustBeat;

        // Park every member on a; the search then only ever moves them a -> b and back.
        for (int i = 0; i < _count; i++)
        {
            _onB[i] = false;
            if (_origin[i] == b)
            {
                _state.MoveTo(_items[i], a);
            }
        }

        _extension.HeldUsage(a, _heldA);
        PrepareBounds();
        Search(0);

        // Back to where they were, then to the best division if one beat the start.
        Place(bestDivision: false);
        if (_bestEnergy >= mustBeat)
        {
            return 0;
        }

        state.Resynchronise();
        double exactStart = state.Energy;
        int startViolations = state.Violations;
        Place(bestDivision: true);
        state.Resynchronise();
        if (state.Energy < exactStart && state.Violations <= startViolations)
        {
            return exactStart - state.Energy;
        }

        // The float bookkeeping misjudged a near tie: the exact recomputation has the last word.
        Place(bestDivision: false);
        state.Resynchronise();
        return 0;
    }

    /// <summary>Puts every member on its node from before the search, or on its side of the best division found.</summary>
    private void Place(bool bestDivision)
    {
        for (int i = 0; i < _count; i++)
        {
            int target = bestDivision ? (_bestOnB[i] ? _b : _a) : _origin[i];
            if (_state.Assignment[_items[i]] != target)
            {
                _state.MoveTo(_items[i], target);
            }
        }
    }

    /// <summary>
    /// Repacks pairs until a whole sweep over every pair gains nothing, <paramref name="visitLimit"/> divisions are
    /// visited (a budget in steps, so a run without a clock stays deterministic) or <paramref name="stop"/> says so.
    /// Each sweep orders nodes by their own terms, costliest first, and pairs each with the cheapest first: the pairs
    /// where a full node could hand load to one with room come early. Returns the pairs run, the divisions visited and
    /// the pairs improved.
    /// </summary>
    public (long Pairs, long Visited, long Improved) Sweep(ref CounterRng rng, long visitLimit, Func<bool> stop)
    {
        int nodes = _state.Problem.Nodes;
        var order = new int[nodes];
        var cost = new double[nodes];
        long pairs = 0, visited = 0, improved = 0;
        while (true)
        {
            for (int n = 0; n < nodes; n++)
            {
                order[n] = n;
                cost[n] = -_extension.NodeEnergy(n);
            }

            Array.Sort(cost, order);
            long improvedBefore = improved;
            for (int i = 0; i < nodes; i++)
            {
                for (int j = nodes - 1; j > i; j--)
                {
                    if (visited >= visitLimit || stop())
                    {
                        _state.Resynchronise();
                        return (pairs, visited, improved);
                    }

                    improved += Run(order[i], order[j], ref rng) > 0 ? 1 : 0;
                    pairs++;
                    visited += _visited;
                }
            }

            if (improved == improvedBefore)
            {
                break;
            }
        }

        // Pairs left unchanged were walked and walked back by float deltas: the tracked energy is made exact again.
        _state.Resynchronise();
        return (pairs, visited, improved);
    }

    /// <summary>The movable members of a and b allowed on both, largest (relative to a's capacity) first.</summary>
    private bool Collect(ref CounterRng rng)
    {
        var state = _state;
        var problem = state.Problem;
        _candidates.Clear();
        foreach (int node in (ReadOnlySpan<int>)[_a, _b])
        {
            foreach (int p in state.Members.Of(node))
            {
                if (!problem.Pinned[p] && problem.IsAllowed(p, _a) && problem.IsAllowed(p, _b))
                {
                    _candidates.Add(p);
                }
            }
        }

        if (_candidates.Count < 2)
        {
            return false;
        }

        // A random subset where there are too many: a partial Fisher-Yates shuffle.
        _count = Math.Min(MaxItems, _candidates.Count);
        for (int i = 0; i < _count; i++)
        {
            int j = i + rng.NextInt(_candidates.Count - i);
            (_candidates[i], _candidates[j]) = (_candidates[j], _candidates[i]);
        }

        for (int i = 0; i < _count; i++)
        {
            int p = _candidates[i];
            _items[i] = p;
            _size[i] = problem.RelativeSize(p, _a);
        }

        Array.Sort(_size, _items, 0, _count);
        Array.Reverse(_size, 0, _count);
        Array.Reverse(_items, 0, _count);
        for (int i = 0; i < _count; i++)
        {
            _origin[i] = state.Assignment[_items[i]];
        }

        return true;
    }

    /// <summary>
    /// What each member gives back to a's hard capacity when it goes to b (nothing on a transient lane when a is its
    /// initial node: it stays held there), and the suffix sums of that over the members in search order.
    /// </summary>
    private void PrepareBounds()
    {
        var initial = _state.Problem.Initial;
        int w = _width;
        Array.Clear(_suffix, _count * w, w);
        for (int i = _count - 1; i >= 0; i--)
        {
            int p = _items[i];
            var row = _x.LoadRow(p);
            bool home = initial[p] == _a;
            for (int k = 0; k < w; k++)
            {
                double release = home && _x.Transient[k % _x.Resources] ? 0 : row[k];
                _release[(i * w) + k] = release;
                _suffix[(i * w) + k] = _suffix[((i + 1) * w) + k] + release;
            }
        }
    }

    /// <summary>Every division reachable by sending members from index <paramref name="start"/> on to b.</summary>
    private void Search(int start)
    {
        var state = _state;
        if (state.Violations <= _allowedViolations && state.Energy < _bestEnergy)
        {
            _bestEnergy = state.Energy;
            Array.Copy(_onB, _bestOnB, _count);
        }

        if (++_visited >= _budget)
        {
            return;
        }

        int w = _width;
        var capacity = _x.Capacity.AsSpan(_a * _x.Resources, _x.Resources);
        for (int j = start; j < _count; j++)
        {
            // a is left with at least its held usage less everything from j on; that only grows with j.
            if (CannotFit(_suffix.AsSpan(j * w, w), capacity))
            {
                return;
            }

            int p = _items[j];
            if (_extension.Overflows(_b, p, -1))
            {
                continue;
            }

            float delta = state.MoveDelta(p, _b);
            int dv = state.ViolationDelta(p, _b);
            state.ApplyMove(p, _b, delta, dv);
            _onB[j] = true;
            TensorPrimitives.Subtract(_heldA, _release.AsSpan(j * w, w), _heldA);
            Search(j + 1);
            TensorPrimitives.Add(_heldA, _release.AsSpan(j * w, w), _heldA);
            _onB[j] = false;
            state.ApplyMove(p, _a, -delta, -dv);
            if (_visited >= _budget)
            {
                return;
            }
        }
    }

    private bool CannotFit(ReadOnlySpan<double> leaving, ReadOnlySpan<double> capacity)
    {
        int resources = capacity.Length;
        for (int k = 0; k < _width; k++)
        {
            if (_heldA[k] - leaving[k] > capacity[k % resources])
            {
                return true;
            }
        }

        return false;
    }
}
