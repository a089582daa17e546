using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Tests;

public class LocalPolishTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AfterPolish_NoSingleMoveImproves_AndNothingIsBroken(bool extended)
    {
        var problem = RandomProblems.Create(17, partitions: 120, nodes: 9, steps: 3, resources: 2, budget: false);
        if (extended)
        {
            RandomProblems.WithExtensions(problem, 17, hardCapacity: false);
        }

        var state = new SearchState(problem);
        state.Reset(extended ? RandomProblems.FeasibleStart(problem) : problem.Initial);
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
}
