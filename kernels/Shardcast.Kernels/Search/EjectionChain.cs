using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// A compound move for full nodes: partition p goes to node m even if m overflows, then the members of m that
/// carry its overfull lanes move on, each to its cheapest node that does not overflow (p's old node among them),
/// until m fits; then m's best leaver moves on while that pays. The chain is applied step by step (each step
/// exact, incremental bookkeeping), refused if it leaves more violations than it found, judged as one move, and
/// undone in reverse order when the caller's acceptance rule refuses it. It reaches what single moves and swaps
/// cannot when capacity is hard: a large partition onto a node that must first be emptied.
/// </summary>
internal sealed class EjectionChain
{
    /// <summary>Most members moved to make room, and again most moved in the clean-up: each costs a node scan.</summary>
    public const int MaxEjections = 4;

    /// <summary>Destinations examined per ejected partition when nodes are many; all of them when fewer.</summary>
    private const int DestinationSample = 128;

    private readonly SearchState _state;
    private readonly MoveProposer _proposer;
    private readonly int[] _moved = new int[(2 * MaxEjections) + 1];
    private readonly int[] _from = new int[(2 * MaxEjections) + 1];
    private readonly float[] _delta = new float[(2 * MaxEjections) + 1];
    private readonly int[] _violations = new int[(2 * MaxEjections) + 1];
    private int _count;

    public EjectionChain(SearchState state, MoveProposer proposer)
    {
        _state = state;
        _proposer = proposer;
    }

    /// <summary>Partitions moved by the last <see cref="Build"/> (the ejected ones, then p).</summary>
    public int Length => _count;

    /// <summary>
    /// Applies the chain that brings p onto m, returning its total energy change; NaN (and nothing applied) when no
    /// chain of at most <see cref="MaxEjections"/> ejections makes room within the constraints and the budget.
    /// </summary>
    public double Build(int p, int m, ref CounterRng rng)
    {
        var state = _state;
        var problem = state.Problem;
        _count = 0;
        if (problem.Pinned[p] || state.Assignment[p] == m || !problem.IsAllowed(p, m) || !state.WithinBudget(p, m))
        {
            return double.NaN;
        }

        // p goes first, overflowing m for a moment; its old node is then free to take what m must give up.
        int allowed = state.Violations;
        double total = Apply(p, m);
        for (int e = 0; e < MaxEjections && state.Violations > allowed; e++)
        {
            int victim = Victim(p, m);
            int destination = victim < 0 ? -1 : Destination(victim, m, ref rng);
            if (destination < 0)
            {
                break;
            }

            total += Apply(victim, destination);
        }

        if (state.Violations > allowed)
        {
            Undo();
            return double.NaN;
        }

        // With p in place, the member of m that gains most by leaving moves on to its best node, while that pays.
        for (int e = 0; e < MaxEjections; e++)
        {
            int victim = -1;
            float leave = 0;
            foreach (int q in state.Members.Of(m))
            {
                float gain = q == p || problem.Pinned[q] ? 0 : state.LeaveDelta(q);
                if (gain < leave)
                {
                    (victim, leave) = (q, gain);
                }
            }

            int destination = victim < 0 ? -1 : Destination(victim, m, ref rng);
            if (destination < 0 || state.ViolationDelta(victim, destination) > 0 || state.MoveDelta(victim, destination) >= 0)
            {
                break;
            }

            total += Apply(victim, destination);
        }

        return total;
    }

    /// <summary>Reverts the last chain, last move first.</summary>
    public void Undo()
    {
        for (int i = _count - 1; i >= 0; i--)
        {
            _state.ApplyMove(_moved[i], _from[i], -_delta[i], -_violations[i]);
        }

        _count = 0;
    }

    private double Apply(int partition, int node)
    {
        float delta = _state.MoveDelta(partition, node);
        int dv = _state.ViolationDelta(partition, node);
        (_moved[_count], _from[_count], _delta[_count], _violations[_count]) = (partition, _state.Assignment[partition], delta, dv);
        _count++;
        _state.ApplyMove(partition, node, delta, dv);
        return delta;
    }

    /// <summary>The member of m (other than p) carrying most of m's lanes that are over capacity, relative to capacity.</summary>
    private int Victim(int p, int m)
    {
        var state = _state;
        var problem = state.Problem;
        int stride = problem.Stride;
        var load = state.NodeLoad.AsSpan(m * stride, stride);
        var capacity = problem.Capacity.AsSpan(m * stride, stride);
        var inverse = problem.InverseCapacity.AsSpan(m * stride, stride);
        int best = -1;
        float bestScore = 0;
        foreach (int q in state.Members.Of(m))
        {
            if (problem.Pinned[q] || q == p)
            {
                continue;
            }

            var row = problem.LoadRow(q);
            float score = 0;
            for (int k = 0; k < stride; k++)
            {
                // Float loads are close enough to choose whom to eject; the exact check judges the chain.
                score += load[k] >= capacity[k] ? row[k] * inverse[k] : 0;
            }

            if (score > bestScore)
            {
                (best, bestScore) = (q, score);
            }
        }

        return best;
    }

    /// <summary>
    /// The node (other than m) where q costs least, a constraint it would break there priced at the violation
    /// penalty; -1 if no node is within the budget.
    /// </summary>
    private int Destination(int q, int m, ref CounterRng rng)
    {
        var state = _state;
        var problem = state.Problem;
        int best = -1;
        float bestDelta = float.PositiveInfinity;
        bool all = problem.Nodes <= DestinationSample;
        int tries = all ? problem.Nodes : DestinationSample;
        float leave = state.LeaveDelta(q);
        for (int t = 0; t < tries; t++)
        {
            int d = all ? t : _proposer.AllowedNode(q, ref rng);
            if (d < 0 || d == m || d == state.Assignment[q] || !problem.IsAllowed(q, d) || !state.WithinBudget(q, d) || state.Overflows(q, d))
            {
                continue;
            }

            float delta = leave + state.ArriveDelta(q, d) + (float)(Problem.CostWeights.ViolationPenalty * state.ViolationDelta(q, d));
            if (delta < bestDelta)
            {
                (best, bestDelta) = (d, delta);
            }
        }

        return best;
    }
}
