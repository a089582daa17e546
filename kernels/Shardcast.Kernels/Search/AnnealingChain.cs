using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>One Metropolis chain over a <see cref="SearchState"/>. Its random stream is (seed, chain id, step).</summary>
internal sealed class AnnealingChain
{
    private readonly MoveProposer _proposer;
    private readonly uint _swapThreshold;
    private readonly uint _biasThreshold;
    private readonly EjectionChain? _ejection;
    private readonly bool _swapHome;
    private readonly bool _balancingPartners;
    private readonly float[] _pairPull;
    private readonly float[] _pairCurvature;
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

        // Partners chosen by the native balance term; where the challenge's terms are on, their own costs rule and the
        // ROADEF measurements were made with drawn partners (docs/architecture.md, Balancing swaps), so those searches are unchanged.
        _balancingPartners = state.Problem.Extensions is null;
        _pairPull = new float[state.Problem.Stride];
        _pairCurvature = new float[state.Problem.Stride];
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

    /// <summary>
    /// Starts the chain's random stream again at (seed, stream), so what it does next depends on that stream alone and
    /// not on the runs it made before: a chain lent in turn to several pieces of work gives each the same result in any order.
    /// </summary>
    public void Reseed(ulong seed, ulong stream) => _rng = new CounterRng(seed, stream);

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
                if (biased && _balancingPartners)
                {
                    TryBalancingSwap(inverseT);
                }
                else
                {
                    TrySwap(biased, inverseT);
                }
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
            if (_balancingPartners)
            {
                // Joining the pair with the budget spent needs a partner to leave the node; one that keeps the balance.
                BalancingExchange(p, m, inverseT);
                return;
            }
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
        if (problem.Pinned[p] || m == state.Assignment[p] || !state.WithinBudget(p, m))
        {
            return;
        }

        JudgeMove(p, m, inverseT);
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

        // Two members of one group are not exchanged here, though it can pay where their loads differ: chains that
        // did so ended higher on ROADEF a1_4 (docs/benchmarks.md), trading large processes of one service between
        // machines early and spending both machines' transient capacity. The polish takes such exchanges at the end.
        if (state.SameGroup(a, b))
        {
            return;
        }

        if (state.SwapWithinBudget(a, b))
        {
            JudgeSwap(a, b, inverseT);
        }
    }

    /// <summary>Members of the target node whose swap with the partition is scored; all of them on nodes holding fewer.</summary>
    private const int PartnerCandidates = 32;

    /// <summary>Allowed nodes drawn for a balancing swap; the one whose utilisation residual is farthest from the source's is taken.</summary>
    private const int TargetChoices = 4;

    /// <summary>
    /// A biased swap whose partner is chosen, not drawn: a hot partition (or, with the budget spent, a moved one) toward
    /// whichever of a few allowed nodes is most out of balance with its own node, exchanged with the member of that node
    /// that leaves the two best balanced.
    /// </summary>
    private void TryBalancingSwap(float inverseT)
    {
        var state = State;
        int a = state.Moves > 0 && state.BudgetTight && (_rng.NextUInt64() & 1) == 0
            ? state.MovedAt(_rng.NextInt(state.Moves))
            : _proposer.HotPartition(state, _proposer.HotNode(state, ref _rng), ref _rng);
        int n = state.Assignment[a];
        int m = -1;
        float farthest = -1;
        for (int i = 0; i < TargetChoices; i++)
        {
            int candidate = _proposer.AllowedNode(a, ref _rng);
            if (candidate < 0 || candidate == n)
            {
                continue;
            }

            float distance = ResidualDistance(n, candidate);
            if (distance > farthest)
            {
                (farthest, m) = (distance, candidate);
            }
        }

        if (m >= 0)
        {
            BalancingExchange(a, m, inverseT);
        }
    }

    /// <summary>
    /// The squared distance between two nodes' utilisation residuals (u - U per step and resource): how much an exchange
    /// between them can gain at best, up to their capacities. Measured at 5 s on the 100k/1000 cluster, seeds 1-3: the
    /// farthest of four nodes 321.8 / 320.6 / 321.2 against 323.3 / 323.0 / 323.1 for one drawn node; weighting each lane
    /// by the pair's curvature (320.9 on average) or drawing eight or sixteen nodes did no better.
    /// </summary>
    internal float ResidualDistance(int n, int m)
    {
        var problem = State.Problem;
        int stride = problem.Stride;
        if (!Vector256.IsHardwareAccelerated)
        {
            float sum = 0;
            for (int k = 0; k < stride; k++)
            {
                float d = ResidualGap(n * stride, m * stride, k);
                sum += d * d;
            }

            return sum;
        }

        ref float load = ref MemoryMarshal.GetArrayDataReference(State.NodeLoad);
        ref float target = ref MemoryMarshal.GetArrayDataReference(problem.BalanceTarget);
        ref float inverse = ref MemoryMarshal.GetArrayDataReference(problem.InverseCapacity);
        nuint on = (nuint)(n * stride), om = (nuint)(m * stride);
        var acc = Vector256<float>.Zero;
        for (nuint k = 0; k < (nuint)stride; k += (nuint)Vector256<float>.Count)
        {
            var d = ((Vector256.LoadUnsafe(ref load, on + k) - Vector256.LoadUnsafe(ref target, on + k)) * Vector256.LoadUnsafe(ref inverse, on + k))
                - ((Vector256.LoadUnsafe(ref load, om + k) - Vector256.LoadUnsafe(ref target, om + k)) * Vector256.LoadUnsafe(ref inverse, om + k));
            acc += d * d;
        }

        return Vector256.Sum(acc);
    }

    /// <summary>
    /// Partition a onto node m, alone or swapped with the member of m that the balance term favours, judged by the full
    /// delta. Once nodes are nearly balanced, what is left on a pair of nodes is a residual in H*R dimensions that few
    /// partner load rows cancel; a random partner almost never is one (measured on the 100k-partition cluster: the same
    /// 5 s reached what 60 s of random partners did). The balance part of a swap is exactly quadratic in the
    /// exchanged row y = x_a - x_q: sum_k y_k^2 (1/c_nk + 1/c_mk) - 2 y_k (e_nk/c_nk - e_mk/c_mk), e = load - target,
    /// so each candidate costs one pass over a row; the other terms are left to the exact delta.
    /// </summary>
    internal void BalancingExchange(int a, int m, float inverseT)
    {
        var state = State;
        var problem = state.Problem;
        int n = state.Assignment[a];
        if (m == n || problem.Pinned[a])
        {
            return;
        }

        PreparePairScore(n, m);
        var rowA = problem.LoadRow(a);
        bool moveFits = state.WithinBudget(a, m);
        float bestScore = moveFits ? BalanceScore(rowA, rowA, exchange: false) : float.PositiveInfinity;
        int partner = -1;
        int count = state.Members.Count(m);
        int tries = Math.Min(PartnerCandidates, count);
        for (int t = 0; t < tries; t++)
        {
            int q = state.Members.At(m, count <= PartnerCandidates ? t : _rng.NextInt(count));
            if (problem.Pinned[q] || state.SameGroup(a, q) || !state.SwapWithinBudget(a, q))
            {
                continue;
            }

            float score = BalanceScore(rowA, problem.LoadRow(q), exchange: true);
            if (score < bestScore)
            {
                (bestScore, partner) = (score, q);
            }
        }

        if (partner >= 0)
        {
            JudgeSwap(a, partner, inverseT);
        }
        else if (moveFits)
        {
            JudgeMove(a, m, inverseT);
        }
    }

    /// <summary>The pair's terms of <see cref="BalanceScore"/>: twice the normalised residual difference, and the curvature.</summary>
    internal void PreparePairScore(int n, int m)
    {
        var problem = State.Problem;
        int stride = problem.Stride;
        var inverse = problem.InverseCapacity;
        int on = n * stride, om = m * stride;
        for (int k = 0; k < stride; k++)
        {
            _pairPull[k] = 2 * ResidualGap(on, om, k);
            _pairCurvature[k] = inverse[on + k] + inverse[om + k];
        }
    }

    /// <summary>Lane k's normalised residual (load - target) / capacity on the node at row offset on, less the one at om.</summary>
    private float ResidualGap(int on, int om, int k)
    {
        var load = State.NodeLoad;
        var target = State.Problem.BalanceTarget;
        var inverse = State.Problem.InverseCapacity;
        return ((load[on + k] - target[on + k]) * inverse[on + k]) - ((load[om + k] - target[om + k]) * inverse[om + k]);
    }

    /// <summary>
    /// The balance change (up to w_bal) of moving row a, less row q where <paramref name="exchange"/>, from the prepared
    /// pair's first node to its second; one 8-lane accumulator, the grouping the kernels reproduce.
    /// </summary>
    internal float BalanceScore(ReadOnlySpan<float> a, ReadOnlySpan<float> q, bool exchange)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            float sum = 0;
            for (int k = 0; k < a.Length; k++)
            {
                float y = exchange ? a[k] - q[k] : a[k];
                sum += y * ((y * _pairCurvature[k]) - _pairPull[k]);
            }

            return sum;
        }

        var acc = Vector256<float>.Zero;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rq = ref MemoryMarshal.GetReference(q);
        ref float pull = ref MemoryMarshal.GetArrayDataReference(_pairPull);
        ref float curvature = ref MemoryMarshal.GetArrayDataReference(_pairCurvature);
        for (int k = 0; k < a.Length; k += Vector256<float>.Count)
        {
            var y = Vector256.LoadUnsafe(ref ra, (nuint)k);
            if (exchange)
            {
                y -= Vector256.LoadUnsafe(ref rq, (nuint)k);
            }

            acc += y * ((y * Vector256.LoadUnsafe(ref curvature, (nuint)k)) - Vector256.LoadUnsafe(ref pull, (nuint)k));
        }

        return Vector256.Sum(acc);
    }

    private void JudgeMove(int p, int m, float inverseT)
    {
        var state = State;
        if (state.CertainlyBreaks(p, m))
        {
            return;
        }

        int dv = state.ViolationDelta(p, m);
        if (dv > 0)
        {
            return;
        }

        float delta = state.MoveDelta(p, m);
        Evaluated++;
        if (Accept(delta + (float)(CostWeights.ViolationPenalty * dv), inverseT))
        {
            state.ApplyMove(p, m, delta, dv);
            Accepted++;
        }
    }

    private void JudgeSwap(int a, int b, float inverseT)
    {
        var state = State;
        if (state.SwapCertainlyBreaks(a, b))
        {
            return;
        }

        int dv = state.SwapViolationDelta(a, b);
        if (dv > 0)
        {
            return;
        }

        float delta = state.SwapDelta(a, b);
        Evaluated++;
        if (Accept(delta + (float)(CostWeights.ViolationPenalty * dv), inverseT))
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
