using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Managed;

/// <summary>One Metropolis chain over a <see cref="SearchState"/>. Its random stream is (seed, chain id, step).</summary>
internal sealed class AnnealingChain
{
    private readonly MoveProposer _proposer;
    private readonly uint _swapThreshold;
    private readonly uint _biasThreshold;
    private readonly EjectionChain? _ejection;
    private readonly bool _swapHome;
    private CounterRng _rng;

    public AnnealingChain(SearchState state, MoveProposer proposer, ulong seed, int id, double swapShare, double biasShare)
    {
        State = state;
        _proposer = proposer;
        _rng = new CounterRng(seed, (ulong)id);
        _swapThreshold = (uint)(swapShare * 65536);
        _biasThreshold = (uint)(biasShare * 65536);
        Id = id;

        // Ejection chains make room on full nodes; only hard capacity makes nodes full (soft overload is priced).
        _ejection = state.Problem.Extensions is { HardCapacity: true } ? new EjectionChain(state, proposer) : null;

        // Swap-homes pay where a move holds capacity on both nodes; on native clusters, whose moves hold nothing but
        // a place in the budget, they showed no gain (docs/architecture.md), so native searches are unchanged.
        _swapHome = state.Problem.Extensions is { HasTransient: true };
    }

    public int Id { get; }

    public SearchState State { get; }

    public double Temperature { get; set; }

    public long Evaluated { get; private set; }

    public long Accepted { get; private set; }

    /// <summary>Uphill proposals (delta &gt; 0) since the last <see cref="ResetUphillCounts"/>, and how many were accepted.</summary>
    public long UphillProposed { get; private set; }

    public long UphillAccepted { get; private set; }

    public void ResetUphillCounts() => (UphillProposed, UphillAccepted) = (0, 0);

    /// <summary>Runs a number of proposal steps at the current temperature; allocation-free.</summary>
    public void Run(int steps)
    {
        if (!_proposer.HasMovable)
        {
            return;
        }

        float inverseT = Temperature > 0 ? (float)(1.0 / Temperature) : float.PositiveInfinity;
        for (int s = 0; s < steps; s++)
        {
            // One draw decides the proposal's kind: 16 bits for swap-or-move, 16 for biased-or-uniform.
            ulong bits = _rng.NextUInt64();
            if (_ejection is not null && _rng.NextUInt64() < EjectShare)
            {
                TryEjection((bits & 1) == 0, inverseT);
                continue;
            }

            bool swap = (uint)(bits & 0xFFFF) < _swapThreshold;
            bool biased = (uint)((bits >> 16) & 0xFFFF) < _biasThreshold;
            if (swap)
            {
                TrySwap(biased, inverseT);
            }
            else
            {
                TryMove(biased, inverseT, bits);
            }
        }
    }

    /// <summary>Share (of 2^32) of move proposals drawn from moved partitions: a tenth, half once the budget is spent.</summary>
    private const ulong ReturnShare = 0x1999_9999UL;
    private const ulong ReturnShareTight = 0x8000_0000UL;

    /// <summary>Share (of 2^32) of move proposals that join a partition to a coupled partner: a tenth.</summary>
    private const ulong JoinShare = 0x1999_9999UL;

    private void TryMove(bool biased, float inverseT, ulong bits)
    {
        var state = State;
        var problem = state.Problem;
        int p;
        int m;
        ulong kind = bits >> 32;
        ulong returnShare = state.BudgetTight ? ReturnShareTight : ReturnShare;
        if (_swapHome && state.Moves > 0 && kind >= SwapHomeFrom)
        {
            TrySwapHome(biased, inverseT);
            return;
        }

        if (state.Moves > 0 && kind < returnShare)
        {
            // Moved partitions: send one home (undoing a move that no longer pays for itself) or, with the
            // budget spent, rearrange it, the only moves that do not spend more budget.
            p = state.MovedAt(_rng.NextInt(state.Moves));
            m = !state.BudgetTight || (_rng.NextUInt64() & 3) == 0 ? problem.Initial[p] : biased ? _proposer.CoolNode(state, p, ref _rng) : _rng.NextInt(problem.Nodes);
            if (m < 0)
            {
                return;
            }
        }
        else if (_proposer.HasCoupling && kind - returnShare < JoinShare)
        {
            (p, m) = _proposer.JoinPartner(state, ref _rng);
        }
        else if (biased)
        {
            // A hot node's heavier partition, to the best of a few allowed nodes: the leaving half of the delta is
            // computed once and each candidate costs one node row.
            p = _proposer.HotPartition(state, _proposer.HotNode(state, ref _rng), ref _rng);
            if (problem.Pinned[p])
            {
                return;
            }

            BestTarget(p, inverseT);
            return;
        }
        else
        {
            p = _proposer.UniformPartition(ref _rng);
            m = _rng.NextInt(problem.Nodes);
        }

        // The budget first: once it is spent, most proposals fail it, and it costs a fraction of the constraint check.
        if (problem.Pinned[p] || m == state.Assignment[p] || !state.WithinBudget(p, m) || state.CertainlyBreaks(p, m))
        {
            return;
        }

        int dv = state.ViolationDelta(p, m);
        if (dv > 0)
        {
            return;
        }

        float delta = state.MoveDelta(p, m) + (float)(CostWeights.ViolationPenalty * dv);
        Evaluated++;
        if (Accept(delta, inverseT))
        {
            state.ApplyMove(p, m, delta - (float)(CostWeights.ViolationPenalty * dv), dv);
            Accepted++;
        }
    }

    /// <summary>Move proposals whose kind (of 2^32) is at least this are swap-homes where resources are transient: the top two fifths, once anything has moved.</summary>
    private const ulong SwapHomeFrom = 0x9999_999AUL;

    /// <summary>Random members of the target examined for one that has moved away from its own home.</summary>
    private const int SwapHomeTries = 4;

    /// <summary>
    /// Swap-home: a partition onto a node while one of that node's moved partitions goes home, judged as one move.
    /// The returning partition gives back what its move spent (a place in the move budget, transient capacity that a
    /// move holds on both nodes) where the newcomer needs it; apart, the return is uphill and the arrival refused.
    /// </summary>
    private void TrySwapHome(bool biased, float inverseT)
    {
        var state = State;
        var problem = state.Problem;
        int p = biased ? _proposer.HotPartition(state, _proposer.HotNode(state, ref _rng), ref _rng) : _proposer.UniformPartition(ref _rng);
        int m = _proposer.AllowedNode(p, ref _rng);
        if (m < 0 || problem.Pinned[p] || m == state.Assignment[p])
        {
            return;
        }

        int count = state.Members.Count(m);
        int q = -1;
        for (int t = 0; t < SwapHomeTries && count > 0; t++)
        {
            int c = state.Members.At(m, _rng.NextInt(count));
            if (problem.Initial[c] != m && c != p)
            {
                q = c;
                break;
            }
        }

        if (q < 0)
        {
            return;
        }

        int home = problem.Initial[q];
        if (state.CertainlyBreaks(q, home))
        {
            return;
        }

        int dvq = state.ViolationDelta(q, home);
        if (dvq > 0)
        {
            return;
        }

        float dq = state.MoveDelta(q, home);
        Evaluated++;
        state.ApplyMove(q, home, dq, dvq);
        if (state.WithinBudget(p, m) && !state.CertainlyBreaks(p, m))
        {
            int dv = state.ViolationDelta(p, m);
            if (dv <= 0)
            {
                float dp = state.MoveDelta(p, m);
                Evaluated++;
                if (Accept(dq + dp + (float)(CostWeights.ViolationPenalty * (dvq + dv)), inverseT))
                {
                    state.ApplyMove(p, m, dp, dv);
                    Accepted += 2;
                    return;
                }
            }
        }

        state.ApplyMove(q, m, -dq, -dvq);
    }

    private const int TargetCandidates = 3;

    /// <summary>Share (of 2^64) of proposals that are ejection chains where capacity is hard: 2 %.</summary>
    private const ulong EjectShare = 0x0520_0000_0000_0000UL;

    /// <summary>A hot (or uniform) partition onto a random allowed node, ejecting what does not fit there.</summary>
    private void TryEjection(bool hot, float inverseT)
    {
        var problem = State.Problem;
        int p = hot ? _proposer.HotPartition(State, _proposer.HotNode(State, ref _rng), ref _rng) : _proposer.UniformPartition(ref _rng);
        int m = _proposer.AllowedNode(p, ref _rng);
        if (m < 0 || problem.Pinned[p])
        {
            return;
        }

        double delta = _ejection!.Build(p, m, ref _rng);
        if (double.IsNaN(delta))
        {
            return;
        }

        Evaluated += _ejection.Length;
        if (Accept((float)delta, inverseT))
        {
            Accepted += _ejection.Length;
        }
        else
        {
            _ejection.Undo();
        }
    }

    private void BestTarget(int p, float inverseT)
    {
        var state = State;
        float leave = float.NaN;
        int bestNode = -1, bestDv = 0;
        float best = float.PositiveInfinity;
        for (int c = 0; c < TargetCandidates; c++)
        {
            int m = _proposer.AllowedNode(p, ref _rng);
            if (m < 0 || m == state.Assignment[p] || !state.WithinBudget(p, m) || state.CertainlyBreaks(p, m))
            {
                continue;
            }

            int dv = state.ViolationDelta(p, m);
            if (dv > 0)
            {
                continue;
            }

            // The leaving half once, and only for a partition that may move at all.
            leave = float.IsNaN(leave) ? state.LeaveDelta(p) : leave;
            float delta = leave + state.ArriveDelta(p, m) + (float)(CostWeights.ViolationPenalty * dv);
            Evaluated++;
            if (delta < best)
            {
                (best, bestNode, bestDv) = (delta, m, dv);
            }
        }

        if (bestNode >= 0 && Accept(best, inverseT))
        {
            state.ApplyMove(p, bestNode, best - (float)(CostWeights.ViolationPenalty * bestDv), bestDv);
            Accepted++;
        }
    }

    private void TrySwap(bool biased, float inverseT)
    {
        var state = State;
        var problem = state.Problem;
        int a;
        int b;
        if (state.Moves > 0 && state.BudgetTight && (_rng.NextUInt64() & 1) == 0)
        {
            // Swapping two moved partitions never spends budget.
            a = state.MovedAt(_rng.NextInt(state.Moves));
            b = state.MovedAt(_rng.NextInt(state.Moves));
        }
        else if (biased)
        {
            a = _proposer.HotPartition(state, _proposer.HotNode(state, ref _rng), ref _rng);
            int cool = _proposer.CoolNode(state, a, ref _rng);
            if (cool < 0)
            {
                return;
            }

            b = _proposer.HotPartition(state, cool, ref _rng);
        }
        else
        {
            a = _proposer.UniformPartition(ref _rng);
            b = _proposer.UniformPartition(ref _rng);
        }

        int na = state.Assignment[a];
        int nb = state.Assignment[b];
        if (na == nb || problem.Pinned[a] || problem.Pinned[b])
        {
            return;
        }

        int ga = problem.GroupOf[a];
        if (ga >= 0 && ga == problem.GroupOf[b])
        {
            return;
        }

        if (!state.SwapWithinBudget(a, b) || state.SwapCertainlyBreaks(a, b))
        {
            return;
        }

        int dv = state.SwapViolationDelta(a, b);
        if (dv > 0)
        {
            return;
        }

        float delta = state.SwapDelta(a, b);
        float total = delta + (float)(CostWeights.ViolationPenalty * dv);
        Evaluated++;
        if (Accept(total, inverseT))
        {
            state.ApplySwap(a, b, delta, dv);
            Accepted++;
        }
    }

    private bool Accept(float delta, float inverseT)
    {
        if (delta <= 0)
        {
            return true;
        }

        // Draw only for uphill moves: a zero-temperature chain never consumes the extra number. Past e^-20 the
        // acceptance is below the draw's 24-bit resolution anyway, so skip the exponential.
        UphillProposed++;
        float exponent = delta * inverseT;
        bool accepted = exponent < 20f && _rng.NextFloat() < MathF.Exp(-exponent);
        UphillAccepted += accepted ? 1 : 0;
        return accepted;
    }
}
