using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

public class LocalPolishTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AfterPolish_NoSingleMoveImproves_AndNothingIsBroken(bool extended)
    {
        var state = StartState(17, extended);
        var problem = state.Problem;
        int violations = state.Violations;
        double before = state.Energy;
        var rng = new CounterRng(3, 3);
        var (_, applied, converged) = LocalPolish.Run(state, ParallelAnnealer.Movable(problem), ref rng, () => false);
        state.Resynchronise();
        Assert.True(applied > 0);
        Assert.True(state.Energy < before);
        Assert.True(state.Violations <= violations);

        Assert.True(converged, "the polish should reach a local optimum of this small problem");
        int improving = 0;
        for (int p = 0; p < problem.Partitions; p++)
        {
            for (int m = 0; m < problem.Nodes; m++)
            {
                if (!problem.Pinned[p] && m != state.Assignment[p] && problem.IsAllowed(p, m) && state.ViolationDelta(p, m) <= 0
                    && state.MoveDelta(p, m) < -((1e-9 * Math.Abs(state.Energy)) + 1e-4))
                {
                    improving++;
                }
            }
        }

        Assert.True(improving == 0, $"{improving} improving moves left after {applied} applied");
    }

    /// <summary>
    /// Two members of one group differ in load (a ROADEF service's processes do), so exchanging their nodes can pay
    /// where neither may move alone: the polish must try it. Only the pair is left movable, so the swap is the
    /// partner it samples.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Polish_SwapsTwoMembersOfOneGroup_WhenThatPays(bool extended)
    {
        var state = StartState(23, extended);
        var problem = state.Problem;
        var (a, b, gain) = BestSameGroupSwap(state);
        Assert.True(a >= 0, "this problem has no paying swap inside a group: the test proves nothing");

        for (int p = 0; p < problem.Partitions; p++)
        {
            problem.Pinned[p] = p != a && p != b;
        }

        double before = state.Energy;
        int violations = state.Violations;
        var rng = new CounterRng(5, 5);
        LocalPolish.Run(state, ParallelAnnealer.Movable(problem), ref rng, () => false);
        state.Resynchronise();
        Assert.True(state.Violations <= violations);
        Assert.True(state.Energy <= before - gain + ((1e-4 * Math.Abs(before)) + 1e-3), $"polish reached {state.Energy}, the swap alone {before - gain}");
    }

    /// <summary>The pair of one group, on different nodes, whose exchange lowers the energy most without breaking anything.</summary>
    private static (int A, int B, double Gain) BestSameGroupSwap(SearchState state)
    {
        var problem = state.Problem;
        (int A, int B, double Gain) best = (-1, -1, 0);
        for (int a = 0; a < problem.Partitions; a++)
        {
            for (int b = a + 1; b < problem.Partitions; b++)
            {
                if (!state.SameGroup(a, b) || problem.Pinned[a] || problem.Pinned[b] || state.Assignment[a] == state.Assignment[b]
                    || state.SwapViolationDelta(a, b) > 0)
                {
                    continue;
                }

                double gain = -state.SwapDelta(a, b);
                if (gain > best.Gain + ((1e-4 * Math.Abs(state.Energy)) + 1e-3))
                {
                    best = (a, b, gain);
                }
            }
        }

        return best;
    }

    /// <summary>A random problem of 120 partitions on 9 nodes (the extended terms on where asked) at its start.</summary>
    private static SearchState StartState(ulong seed, bool extended)
    {
        var problem = RandomProblems.Create(seed, partitions: 120, nodes: 9, steps: 3, resources: 2, budget: false);
        if (extended)
        {
            RandomProblems.WithExtensions(problem, seed, hardCapacity: false);
        }

        var state = new SearchState(problem);
        state.Reset(extended ? RandomProblems.FeasibleStart(problem) : problem.Initial);
        return state;
    }
}
