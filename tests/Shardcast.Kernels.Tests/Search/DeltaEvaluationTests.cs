using FsCheck;
using FsCheck.Fluent;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

/// <summary>
/// The property every search relies on: a move's or a swap's delta equals the difference of two full
/// recomputations, for the cost and for the count of broken hard constraints.
/// Tolerance: 1e-3 absolute plus 1e-4 of the continuous energy, the cost plus the overload penalty (float32 terms
/// summed over a few hundred lanes). The violation penalty (1e6 per broken constraint) is compared exactly through
/// the violation deltas and left out of the tolerance, where it would swallow every cost term once a random move
/// breaks anything. Tried: the coupling (affinity and lineage) part of MoveDelta scaled by 0.9 fails the move property.
/// </summary>
public class DeltaEvaluationTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(60);

    private static double Tolerance(CostBreakdown state) => 1e-3 + (1e-4 * Math.Abs(state.Total + (CostWeights.OverloadPenalty * state.Overload)));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MoveDelta_EqualsDifferenceOfFullRecomputations(bool groupNodeCounts)
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<PositiveInt>(), (seed, pick) =>
        {
            var problem = RandomProblems.Create(seed, partitions: 40 + (pick.Get % 50), nodes: 4 + (pick.Get % 9), steps: 1 + (pick.Get % 5), resources: 1 + (pick.Get % 3));

            // Without the (group, node) table the group's members are scanned instead; both must agree.
            var state = new SearchState(problem, groupNodeCounts);
            state.Reset(problem.Initial);
            var rng = new CounterRng(seed, 5);
            for (int i = 0; i < 30; i++)
            {
                int p = rng.NextInt(problem.Partitions);
                int m = rng.NextInt(problem.Nodes);
                if (m == state.Assignment[p])
                {
                    continue;
                }

                var before = state.Breakdown();
                float delta = state.MoveDelta(p, m);
                int dv = state.ViolationDelta(p, m);
                state.ApplyMove(p, m, delta, dv);
                var after = state.Breakdown();
                double expected = (after.Energy - before.Energy) - (CostWeights.ViolationPenalty * (after.Violations - before.Violations));
                Assert.Equal(expected, delta, Tolerance(before));
                Assert.Equal(after.Violations - before.Violations, dv);
                Assert.Equal(after.Violations, state.Violations);
            }
        }).Check(Runs);
    }

    [Fact]
    public void SwapDelta_EqualsDifferenceOfFullRecomputations()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), seed =>
        {
            var problem = RandomProblems.Create(seed, partitions: 50, nodes: 7, steps: 4, resources: 2);
            var state = new SearchState(problem);
            state.Reset(problem.Initial);
            var rng = new CounterRng(seed, 9);
            for (int i = 0; i < 30; i++)
            {
                int a = rng.NextInt(problem.Partitions);
                int b = rng.NextInt(problem.Partitions);
                if (state.Assignment[a] == state.Assignment[b])
                {
                    continue;
                }

                var before = state.Breakdown();
                float delta = state.SwapDelta(a, b);
                int dv = state.SwapViolationDelta(a, b);
                state.ApplySwap(a, b, delta, dv);
                var after = state.Breakdown();
                double expected = (after.Energy - before.Energy) - (CostWeights.ViolationPenalty * (after.Violations - before.Violations));
                Assert.Equal(expected, delta, Tolerance(before));
                Assert.Equal(after.Violations - before.Violations, dv);
            }
        }).Check(Runs);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ExtendedModel_MoveAndSwapDeltas_EqualDifferenceOfFullRecomputations(bool hardCapacity)
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<PositiveInt>(), (seed, pick) =>
        {
            var problem = RandomProblems.WithExtensions(
                RandomProblems.Create(seed, partitions: 40 + (pick.Get % 50), nodes: 4 + (pick.Get % 9), steps: 1 + (pick.Get % 3), resources: 1 + (pick.Get % 4), budget: false),
                seed,
                hardCapacity);
            var state = new SearchState(problem);
            state.Reset(problem.Initial);
            var rng = new CounterRng(seed, 13);
            for (int i = 0; i < 40; i++)
            {
                int a = rng.NextInt(problem.Partitions);
                int b = rng.NextInt(problem.Partitions);
                var before = state.Breakdown();
                float delta;
                int dv;
                if (i % 2 == 0)
                {
                    int m = rng.NextInt(problem.Nodes);
                    if (m == state.Assignment[a])
                    {
                        continue;
                    }

                    // The leave and arrive halves must add up to the whole move.
                    Assert.Equal(state.MoveDelta(a, m), state.LeaveDelta(a) + state.ArriveDelta(a, m), Tolerance(before));
                    delta = state.MoveDelta(a, m);
                    dv = state.ViolationDelta(a, m);
                    state.ApplyMove(a, m, delta, dv);
                }
                else
                {
                    if (state.Assignment[a] == state.Assignment[b])
                    {
                        continue;
                    }

                    delta = state.SwapDelta(a, b);
                    dv = state.SwapViolationDelta(a, b);
                    state.ApplySwap(a, b, delta, dv);
                }

                var after = state.Breakdown();
                double expected = (after.Energy - before.Energy) - (CostWeights.ViolationPenalty * (after.Violations - before.Violations));
                Assert.Equal(expected, delta, Tolerance(before));
                Assert.Equal(after.Violations - before.Violations, dv);
                Assert.Equal(after.Violations, state.Violations);
            }

            // Tracked state survives a full resynchronisation unchanged.
            var tracked = state.Breakdown();
            state.Resynchronise();
            Assert.Equal(tracked.Energy, state.Breakdown().Energy, Tolerance(tracked));
        }).Check(Runs);
    }

    [Fact]
    public void ExtendedModel_HardCapacity_SearchKeepsAFeasibleStartFeasible()
    {
        // Capacities just above the start's loads: tight, so many proposals would overload a node.
        var problem = RandomProblems.WithExtensions(RandomProblems.Create(21, partitions: 80, nodes: 10, steps: 2, resources: 2, budget: false), 21, hardCapacity: true);
        var start = RandomProblems.FeasibleStart(problem);
        RandomProblems.TightenCapacities(problem, start, 0.02);
        var check = new SearchState(problem);
        check.Reset(start);
        Assert.Equal(0, check.Violations);
        var result = new ManagedBackend().Search(problem, start, new SearchOptions { MaxStepsPerChain = 20_000, Seed = 4, Threads = 1 }, default);
        check.Reset(result.Assignment);
        Assert.Equal(0, check.Violations);
        var initial = new SearchState(problem);
        initial.Reset(start);
        Assert.True(result.Cost.Energy < initial.Energy, "the search should improve on a start it may not break");
    }

    [Fact]
    public void TrackedEnergy_AfterManyMoves_MatchesFullRecomputation()
    {
        var problem = RandomProblems.Create(11, partitions: 200, nodes: 12, steps: 12, resources: 2, budget: false);
        var state = new SearchState(problem);
        state.Reset(problem.Initial);
        var rng = new CounterRng(11, 3);
        for (int i = 0; i < 5000; i++)
        {
            int p = rng.NextInt(problem.Partitions);
            int m = rng.NextInt(problem.Nodes);
            if (m != state.Assignment[p])
            {
                state.ApplyMove(p, m, state.MoveDelta(p, m), state.ViolationDelta(p, m));
            }
        }

        double tracked = state.Energy;
        var exact = state.Breakdown();
        Assert.Equal(exact.Energy, tracked, 1e-2 + (1e-4 * Math.Abs(exact.Energy)));
    }

    [Fact]
    public void WithinBudget_RefusesTheMoveThatWouldExceedMaxMoves()
    {
        var problem = RandomProblems.Create(3, partitions: 30, nodes: 6);
        problem.MaxMoves = 1;
        var state = new SearchState(problem);
        state.Reset(problem.Initial);
        int first = Enumerable.Range(0, 30).First(p => !problem.Pinned[p] && problem.GroupOf[p] < 0);
        int second = Enumerable.Range(first + 1, 29 - first).First(p => !problem.Pinned[p] && problem.GroupOf[p] < 0);
        int target = (state.Assignment[first] + 2) % problem.Nodes;
        Assert.True(state.WithinBudget(first, target));
        state.ApplyMove(first, target, state.MoveDelta(first, target), state.ViolationDelta(first, target));
        Assert.False(state.WithinBudget(second, (state.Assignment[second] + 2) % problem.Nodes));
        Assert.True(state.WithinBudget(first, problem.Initial[first]));
    }
}
