using FsCheck;
using FsCheck.Fluent;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

/// <summary>
/// The balancing swap chooses a partner on the target node by the balance term's quadratic form; that form must be
/// the balance change a full recomputation sees, and the choice must be the partner that balances the pair.
/// </summary>
public class BalancingExchangeTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(60);

    [Fact]
    public void BalanceScore_IsTheBalanceChangeOfAMoveOrASwap()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<PositiveInt>(), (seed, pick) =>
        {
            var problem = RandomProblems.Create(seed, partitions: 40 + (pick.Get % 40), nodes: 3 + (pick.Get % 7), steps: 1 + (pick.Get % 5), resources: 1 + (pick.Get % 4), budget: false);
            var state = new SearchState(problem);
            state.Reset(problem.Initial);
            var chain = Chain(state, seed);
            var rng = new CounterRng(seed, 3);
            for (int i = 0; i < 30; i++)
            {
                int a = rng.NextInt(problem.Partitions);
                int q = rng.NextInt(problem.Partitions);
                int n = state.Assignment[a];
                int m = state.Assignment[q];
                if (n == m)
                {
                    continue;
                }

                chain.PreparePairScore(n, m);
                float moveScore = chain.BalanceScore(problem.LoadRow(a), problem.LoadRow(a), exchange: false);
                float swapScore = chain.BalanceScore(problem.LoadRow(a), problem.LoadRow(q), exchange: true);
                double before = state.Breakdown().Balance;

                state.ApplyMove(a, m, state.MoveDelta(a, m), state.ViolationDelta(a, m));
                double afterMove = state.Breakdown().Balance;
                state.ApplyMove(q, n, state.MoveDelta(q, n), state.ViolationDelta(q, n));
                double afterSwap = state.Breakdown().Balance;
                state.ApplyMove(q, m, state.MoveDelta(q, m), state.ViolationDelta(q, m));
                state.ApplyMove(a, n, state.MoveDelta(a, n), state.ViolationDelta(a, n));

                double tolerance = 1e-3 + (1e-4 * before);
                Assert.Equal(afterMove - before, problem.Weights.Balance * moveScore, tolerance);
                Assert.Equal(afterSwap - before, problem.Weights.Balance * swapScore, tolerance);
            }
        }).Check(Runs);
    }

    [Fact]
    public void ResidualDistance_IsTheSquaredDistanceBetweenTwoNodesUtilisationResiduals()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), seed =>
        {
            var problem = RandomProblems.Create(seed, partitions: 60, nodes: 6, steps: 3, resources: 3);
            var state = new SearchState(problem);
            state.Reset(problem.Initial);
            var chain = Chain(state, seed);
            int stride = problem.Stride;
            for (int n = 0; n < problem.Nodes; n++)
            {
                for (int m = 0; m < problem.Nodes; m++)
                {
                    double expected = 0;
                    for (int k = 0; k < problem.Steps * problem.Resources; k++)
                    {
                        int i = (n * stride) + k, j = (m * stride) + k;
                        double d = ((state.NodeLoad[i] - problem.BalanceTarget[i]) / (double)problem.Capacity[i])
                            - ((state.NodeLoad[j] - problem.BalanceTarget[j]) / (double)problem.Capacity[j]);
                        expected += d * d;
                    }

                    Assert.Equal(expected, chain.ResidualDistance(n, m), 1e-4 * (1 + expected));
                }
            }
        }).Check(Runs);
    }

    /// <summary>
    /// Two nodes out of balance in opposite resources, (3, 1) and (1.5, 4): of the target's four members one,
    /// (1.25, 1.5), swapped for the partition (2, 0) evens them exactly; moving the partition alone makes them worse
    /// and other partners improve them less. A cold chain takes that swap.
    /// </summary>
    [Fact]
    public void BalancingExchange_SwapsWithThePartnerThatEvensThePair()
    {
        float[][] loads = [[2, 0], [1, 1], [0, 2], [0.25f, 0.25f], [1.25f, 1.5f], [0, 0.25f]];
        int[] initial = [0, 0, 1, 1, 1, 1];
        const int Evening = 4;
        var problem = TwoNodeProblem(loads, initial);
        var state = new SearchState(problem);
        state.Reset(initial);
        double before = state.Breakdown().Energy;

        // Every option by full recomputation: partition 0 onto node 1 alone, or swapped with each member of node 1.
        var options = new Dictionary<int, double>();
        foreach (int partner in new[] { -1, 2, 3, 4, 5 })
        {
            var trial = new SearchState(problem);
            trial.Reset(initial);
            trial.ApplyMove(0, 1, trial.MoveDelta(0, 1), 0);
            if (partner >= 0)
            {
                trial.ApplyMove(partner, 0, trial.MoveDelta(partner, 0), 0);
            }

            options[partner] = trial.Breakdown().Energy;
        }

        Assert.True(options[-1] > before, "moving the partition alone unbalances the pair");
        Assert.Equal(0, options[Evening], 1e-9);
        Assert.True(options.Where(o => o.Key != Evening).All(o => o.Value > 0.1), "no other exchange evens the pair");

        Chain(state, 7).BalancingExchange(0, 1, float.PositiveInfinity);

        Assert.Equal(1, state.Assignment[0]);
        Assert.Equal(0, state.Assignment[Evening]);
        Assert.Equal(0, state.Breakdown().Energy, 1e-9);
        Assert.Equal(0, state.Energy, 1e-4);
    }

    private static AnnealingChain Chain(SearchState state, ulong seed) =>
        new(state, new MoveProposer(state.Problem, ParallelAnnealer.Movable(state.Problem)), seed, 0, swapShare: 0.3, biasShare: 0.6);

    /// <summary>Two equal nodes in one zone, one step and two resources, only the balance term weighted.</summary>
    private static FlatProblem TwoNodeProblem(float[][] loads, int[] initial)
    {
        var problem = new FlatProblem(loads.Length, nodes: 2, steps: 1, resources: 2, zones: 1);
        int stride = problem.Stride;
        var total = new double[2];
        for (int p = 0; p < loads.Length; p++)
        {
            loads[p].CopyTo(problem.Load.AsSpan(p * stride));
            problem.Heat[p] = loads[p].Max();
            problem.SizeBytes[p] = 1e6;
            problem.SizeFraction[p] = 1f / loads.Length;
            problem.Initial[p] = initial[p];
            total[0] += loads[p][0];
            total[1] += loads[p][1];
        }

        for (int n = 0; n < 2; n++)
        {
            for (int k = 0; k < stride; k++)
            {
                bool lane = k < 2;
                problem.Capacity[(n * stride) + k] = lane ? 10 : 1;
                problem.InverseCapacity[(n * stride) + k] = lane ? 0.1f : 1;
                problem.BalanceTarget[(n * stride) + k] = lane ? (float)(total[k] / 2) : 0;
                problem.HeadroomLimit[(n * stride) + k] = lane ? 8 : 0.8f;
            }
        }

        problem.ZoneDistance[0] = 1;
        problem.DomainMasks = [0b11];
        problem.Weights = new CostWeights(1, 0, 0.8, 0, 0, 0);
        problem.Validate();
        return problem;
    }
}
