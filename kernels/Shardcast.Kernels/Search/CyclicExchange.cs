using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search.Exact;

namespace Shardcast.Kernels.Search;

/// <summary>
/// Cyclic and path exchanges over many nodes at once (Thompson and Orlin's cyclic transfers): p1 goes to p2's node,
/// p2 to p3's, ..., and the last either to p1's node (a cycle) or to a node outside the chain (a path). Each node of
/// the chain gains one partition and loses one, so its energy change depends on that pair alone and the chain's cost
/// is a sum of arc costs (move costs included); a label-correcting pass over chain lengths finds the cheapest chain
/// ending at every partition, closed both ways. Improving chains over disjoint nodes are then kept, cheapest first,
/// each judged again by an exact recomputation: the arcs choose what to try, never what is accepted. It passes room
/// along five nodes at once, which the rounds, the pairs and the node sets, each within a few nodes, do not.
/// </summary>
internal sealed class CyclicExchange
{
    private readonly SearchState _state;
    private readonly SearchState _scratch;
    private readonly ExtensionState _x;
    private readonly FlatProblem _problem;
    private readonly int[] _movable;
    private readonly int _window;
    private readonly int[] _active;
    private int _activeCount;
    private readonly int[] _windowNodes;
    private int _windowNodeCount;
    private readonly bool[] _inWindow;
    private readonly int[] _nodeOrder;
    private CounterRng _rng;
    private readonly int _maxLength;
    private readonly double[] _leave;
    private double[] _label;
    private double[] _next;
    private int[][] _path;
    private int[][] _nextPath;
    private readonly int[] _trial;
    private readonly bool[] _banned;
    private readonly bool[] _nodeUsed;
    private readonly int[] _open;

    public CyclicExchange(SearchState state, SearchState scratch, int[] movable, int maxLength, ulong seed = 0, int window = DefaultWindow)
    {
        ArgumentNullException.ThrowIfNull(movable);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _state = state;
        _scratch = scratch;
        _x = state.Extension ?? throw new ArgumentException("Cyclic exchange needs the extended model.", nameof(state));
        _problem = state.Problem;
        _movable = movable;
        _maxLength = maxLength;
        _window = window;
        _rng = new CounterRng(seed, 0xC1C_11CUL);
        int p = _problem.Partitions;
        _active = new int[movable.Length];
        _windowNodes = new int[_problem.Nodes];
        _inWindow = new bool[_problem.Nodes];
        _nodeOrder = new int[_problem.Nodes];

        // The whole plan until a pass draws a window: where every movable partition fits in one, no pass does.
        movable.CopyTo(_active, 0);
        _activeCount = movable.Length;
        _windowNodeCount = _problem.Nodes;
        for (int n = 0; n < _problem.Nodes; n++)
        {
            _windowNodes[n] = n;
        }
        _leave = new double[p];
        _label = new double[p];
        _next = new double[p];
        _path = new int[p][];
        _nextPath = new int[p][];
        for (int i = 0; i < p; i++)
        {
            _path[i] = new int[maxLength];
            _nextPath[i] = new int[maxLength];
        }

        _trial = new int[p];
        _banned = new bool[p];
        _nodeUsed = new bool[_problem.Nodes];
        _open = new int[p];
    }

    /// <summary>A chain's predicted gain below which it is not worth an exact recomputation.</summary>
    private const double MinGain = 1e-6;

    /// <summary>Chains that fail the exact test in one pass before the pass gives up on the rest.</summary>
    private const int MaxFailedPerPass = 40;

    /// <summary>Passes in a row without a kept chain (each banning the starts that failed) before the search stops.</summary>
    private const int MaxIdlePasses = 5;

    /// <summary>
    /// Movable partitions one pass considers. A pass costs O(length x window^2) arcs, so a 50,000-partition plan is
    /// searched in windows, the partitions of nodes drawn at random until this many; set A fits in one.
    /// </summary>
    public const int DefaultWindow = 2_000;

    /// <summary>Arcs judged so far: a gain, a node and the loss it replaces.</summary>
    public long Arcs { get; private set; }

    /// <summary>
    /// Whether the problem is one this neighbourhood serves: where the ruin rounds run and the cost adds up node by
    /// node and move by move (the native balance, headroom and coupling terms at 0, as the ROADEF mapping has them).
    /// </summary>
    public static bool Fits(FlatProblem problem) => RuinRecreate.Fits(problem) && NodeSetRepack.Applies(problem);

    /// <summary>
    /// Passes until one finds no chain that holds, <paramref name="passLimit"/> passes are run or
    /// <paramref name="stop"/> says so; each pass keeps every improving chain over nodes no kept chain touched.
    /// Leaves the state exact. Returns the passes run and the chains kept.
    /// </summary>
    public (int Passes, int Kept) Run(int passLimit, Func<bool> stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        bool windowed = _movable.Length > _window;

        // In windows, a pass that finds nothing says nothing of the next window: enough idle passes to see the
        // whole plan several times over.
        int idleLimit = windowed ? MaxIdlePasses * ((_movable.Length + _window - 1) / _window) : MaxIdlePasses;
        int kept = 0, failures = 0, passes = 0;
        while (passes < passLimit && !stop())
        {
            passes++;
            if (windowed)
            {
                DrawWindow();
            }
            var candidates = FindChains(stop);
            if (candidates.Count == 0)
            {
                if (windowed && ++failures < idleLimit)
                {
                    continue;
                }

                break;
            }

            // Chains over disjoint nodes change disjoint node terms, so one pass keeps as many as hold together.
            bool improved = false;
            int failed = 0;
            Array.Clear(_nodeUsed);
            foreach (var (_, chain, end) in candidates.OrderBy(c => c.Cost))
            {
                if (failed >= MaxFailedPerPass)
                {
                    break;
                }

                if (UsesNode(chain, end))
                {
                    continue;
                }

                if (TryApply(chain, end))
                {
                    kept++;
                    improved = true;
                    MarkNodes(chain, end);
                    continue;
                }

                // The arcs judge each move alone; a chain whose moves break something together is not offered again.
                failed++;
                _banned[chain[0]] = true;
            }

            if (improved)
            {
                failures = 0;
                Array.Clear(_banned);
            }
            else if (++failures >= idleLimit)
            {
                break;
            }
        }

        return (passes, kept);
    }

    /// <summary>
    /// The partitions and nodes the next pass considers: the movable partitions of nodes drawn at random until there
    /// are <see cref="_window"/>, with those nodes as the only ends of paths.
    /// </summary>
    private void DrawWindow()
    {
        for (int n = 0; n < _nodeOrder.Length; n++)
        {
            _nodeOrder[n] = n;
        }

        Array.Clear(_inWindow);
        var a = _state.Assignment;
        int chosen = 0, members = 0;
        for (int k = 0; k < _nodeOrder.Length && members < _window; k++)
        {
            int pick = k + _rng.NextInt(_nodeOrder.Length - k);
            (_nodeOrder[k], _nodeOrder[pick]) = (_nodeOrder[pick], _nodeOrder[k]);
            int node = _nodeOrder[k];
            _inWindow[node] = true;
            _windowNodes[chosen++] = node;
            members += _state.Members.Count(node);
        }

        _windowNodeCount = chosen;
        _activeCount = 0;
        foreach (int p in _movable)
        {
            if (_inWindow[a[p]])
            {
                _active[_activeCount++] = p;
            }
        }
    }

    /// <summary>
    /// The cost the search gives a chain (p1 to p2's node, ..., the last to `end`: p1's node for a cycle, another
    /// for a path), +inf where an arc breaks a hard constraint: the sum it ranks chains by, apart for the tests.
    /// </summary>
    internal double ChainCost(ReadOnlySpan<int> chain, int end)
    {
        var a = _state.Assignment;
        int first = chain[0];
        double cost = 0;
        for (int t = 1; t < chain.Length; t++)
        {
            cost += Arc(chain[t - 1], a[chain[t]], chain[t]);
        }

        return end == a[first]
            ? cost + Arc(chain[^1], end, first)
            : cost + _x.ReplaceDelta(a[first], -1, first, out _) + Arc(chain[^1], end, -1);
    }

    private bool UsesNode(int[] chain, int end)
    {
        if (_nodeUsed[end])
        {
            return true;
        }

        foreach (int p in chain)
        {
            if (_nodeUsed[_state.Assignment[p]])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Marks the chain's nodes; call after it is applied, when each member sits on the node it entered.</summary>
    private void MarkNodes(int[] chain, int end)
    {
        _nodeUsed[end] = true;
        foreach (int p in chain)
        {
            _nodeUsed[_state.Assignment[p]] = true;
        }
    }

    private bool OnChainNodes(int[] path, int length, int node)
    {
        var a = _state.Assignment;
        for (int t = 0; t < length; t++)
        {
            if (a[path[t]] == node)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Arc cost of `gain` entering `loss`'s node in its place, or +inf where that breaks a hard constraint there.</summary>
    private double Arc(int gain, int node, int loss)
    {
        Arcs++;
        if (_x.Overflows(node, gain, loss) || _state.ReplaceViolationDelta(gain, node, loss) > 0)
        {
            return double.PositiveInfinity;
        }

        double d = _x.ReplaceDelta(node, gain, loss, out int violations);
        return violations > 0 ? double.PositiveInfinity : d + _x.MoveCost(gain, _state.Assignment[gain], node) + _state.MigrationDelta(gain, node);
    }

    private List<(double Cost, int[] Chain, int End)> FindChains(Func<bool> stop)
    {
        var a = _state.Assignment;
        var found = new List<(double, int[], int)>();
        Array.Fill(_label, double.PositiveInfinity);
        var active = _active.AsSpan(0, _activeCount);
        foreach (int p in active)
        {
            // The first node's gain from losing p1 is counted at the start, so partial sums rank the open chains.
            if (!_banned[p])
            {
                _leave[p] = _x.ReplaceDelta(a[p], -1, p, out _);
                _label[p] = _leave[p];
                _path[p][0] = p;
            }
        }

        int openCount = Open(_open);
        for (int length = 2; length <= _maxLength && openCount > 0; length++)
        {
            Array.Fill(_next, double.PositiveInfinity);
            foreach (int j in active)
            {
                if (stop())
                {
                    return found;
                }

                int node = a[j];
                double best = double.PositiveInfinity;
                int from = -1;
                for (int f = 0; f < openCount; f++)
                {
                    int i = _open[f];
                    double li = _label[i];
                    if (OnChainNodes(_path[i], length - 1, node))
                    {
                        continue;
                    }

                    double c = li + Arc(i, node, j);
                    if (c < best)
                    {
                        best = c;
                        from = i;
                    }
                }

                if (from >= 0)
                {
                    _next[j] = best;
                    Array.Copy(_path[from], _nextPath[j], length - 1);
                    _nextPath[j][length - 1] = j;
                }
            }

            (_label, _next) = (_next, _label);
            (_path, _nextPath) = (_nextPath, _path);
            openCount = Open(_open);
            for (int f = 0; f < openCount; f++)
            {
                if ((f & 63) == 0 && stop())
                {
                    return found;
                }

                Close(_open[f], length, found);
            }
        }

        return found;
    }

    /// <summary>The partitions an open chain ends at. Every one is kept: the chains with the lowest partial sums are
    /// mostly ones no node can close, so a shortlist of them finds nothing (measured on the ROADEF A plans).</summary>
    private int Open(int[] into)
    {
        int count = 0;
        foreach (int p in _active.AsSpan(0, _activeCount))
        {
            if (_label[p] != double.PositiveInfinity)
            {
                into[count++] = p;
            }
        }

        return count;
    }

    /// <summary>Closes the chain ending at j: as a cycle into its first node, and as a path onto the best node outside it.</summary>
    private void Close(int j, int length, List<(double, int[], int)> found)
    {
        var a = _state.Assignment;
        var path = _path[j];
        int first = path[0];
        int firstNode = a[first];
        double cycle = _label[j] - _leave[first] + Arc(j, firstNode, first);
        if (cycle < -MinGain)
        {
            found.Add((cycle, path[..length], firstNode));
        }

        double bestEnd = double.PositiveInfinity;
        int endNode = -1;
        foreach (int n in _windowNodes.AsSpan(0, _windowNodeCount))
        {
            if (OnChainNodes(path, length, n))
            {
                continue;
            }

            double c = Arc(j, n, -1);
            if (c < bestEnd)
            {
                bestEnd = c;
                endNode = n;
            }
        }

        if (endNode >= 0 && _label[j] + bestEnd < -MinGain)
        {
            found.Add((_label[j] + bestEnd, path[..length], endNode));
        }
    }

    private bool TryApply(int[] chain, int end)
    {
        var a = _state.Assignment;
        a.CopyTo(_trial, 0);
        for (int t = 0; t < chain.Length - 1; t++)
        {
            _trial[chain[t]] = a[chain[t + 1]];
        }

        _trial[chain[^1]] = end;
        _scratch.Reset(_trial);
        if (_scratch.Violations > _state.Violations || _scratch.Energy >= _state.Energy - 1e-9 * Math.Abs(_state.Energy))
        {
            return false;
        }

        _state.Reset(_trial);
        return true;
    }
}
