using System.Runtime.CompilerServices;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// Draws move and swap proposals: a share from hot nodes (a tournament of random nodes by peak
/// utilisation) and their heavier partitions toward cool allowed nodes, the rest uniform. Tournaments
/// keep the bias O(1) per proposal with no sorted structure to maintain.
/// </summary>
internal sealed class MoveProposer
{
    private const int HotTournament = 4;
    private const int CoolTournament = 3;
    private const int AllowedTries = 8;

    private readonly FlatProblem _problem;
    private readonly int[] _movable;
    private readonly int[] _edgeSource;

    public MoveProposer(FlatProblem problem, int[] movable)
    {
        _problem = problem;
        _movable = movable;
        _edgeSource = new int[problem.CouplingTarget.Length];
        for (int p = 0; p < problem.Partitions; p++)
        {
            for (int e = problem.CouplingStart[p]; e < problem.CouplingStart[p + 1]; e++)
            {
                _edgeSource[e] = p;
            }
        }
    }

    public bool HasCoupling => _edgeSource.Length > 0;

    /// <summary>
    /// A random coupling edge (affinity or lineage) as (partition, node of its partner): moving the partition there
    /// joins the pair, which uniform proposals would find once in a node count's tries.
    /// </summary>
    public (int Partition, int Node) JoinPartner(SearchState state, ref CounterRng rng)
    {
        int e = rng.NextInt(_edgeSource.Length);
        return (_edgeSource[e], state.Assignment[_problem.CouplingTarget[e]]);
    }

    public bool HasMovable => _movable.Length > 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int UniformPartition(ref CounterRng rng) => _movable[rng.NextInt(_movable.Length)];

    public int HotNode(SearchState state, ref CounterRng rng)
    {
        int best = rng.NextInt(_problem.Nodes);
        for (int i = 1; i < HotTournament; i++)
        {
            int n = rng.NextInt(_problem.Nodes);
            if (state.NodePeak[n] > state.NodePeak[best])
            {
                best = n;
            }
        }

        return best;
    }

    /// <summary>The heavier of two random partitions on a node, or a uniform one when the node is empty.</summary>
    public int HotPartition(SearchState state, int node, ref CounterRng rng)
    {
        int count = state.Members.Count(node);
        if (count == 0)
        {
            return UniformPartition(ref rng);
        }

        int a = state.Members.At(node, rng.NextInt(count));
        int b = state.Members.At(node, rng.NextInt(count));
        var heat = _problem.Heat;
        bool aMovable = !_problem.Pinned[a];
        bool bMovable = !_problem.Pinned[b];
        if (aMovable && bMovable)
        {
            return heat[a] >= heat[b] ? a : b;
        }

        return aMovable ? a : b;
    }

    /// <summary>A random node the partition may sit on, after a few tries; -1 when none was found.</summary>
    public int AllowedNode(int partition, ref CounterRng rng)
    {
        for (int t = 0; t < AllowedTries; t++)
        {
            int n = rng.NextInt(_problem.Nodes);
            if (_problem.IsAllowed(partition, n))
            {
                return n;
            }
        }

        return -1;
    }

    /// <summary>The coolest of a few random nodes the partition may sit on; -1 when none was found.</summary>
    public int CoolNode(SearchState state, int partition, ref CounterRng rng)
    {
        int best = -1;
        int found = 0;
        for (int t = 0; t < AllowedTries && found < CoolTournament; t++)
        {
            int n = rng.NextInt(_problem.Nodes);
            if (!_problem.IsAllowed(partition, n))
            {
                continue;
            }

            found++;
            if (best < 0 || state.NodePeak[n] < state.NodePeak[best])
            {
                best = n;
            }
        }

        return best;
    }
}
