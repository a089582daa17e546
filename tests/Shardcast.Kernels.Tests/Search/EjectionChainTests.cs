using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

/// <summary>Ejection chains on tight hard-capacity problems: never a net new violation, delta exact, undo exact.</summary>
public class EjectionChainTests
{
    [Fact]
    public void Build_KeepsConstraints_ReportsItsDelta_AndUndoRestoresTheState()
    {
        var problem = TightProblem(5);
        var state = new SearchState(problem);
        state.Reset(RandomProblems.FeasibleStart(problem));
        Assert.Equal(0, state.Violations);
        var proposer = new MoveProposer(problem, ParallelAnnealer.Movable(problem));
        var chain = new EjectionChain(state, proposer);
        var rng = new CounterRng(5, 1);
        int built = 0, ejected = 0;
        for (int i = 0; i < 2000; i++)
        {
            int p = rng.NextInt(problem.Partitions);
            int m = rng.NextInt(problem.Nodes);
            var before = state.Breakdown();
            int[] assignment = state.Assignment.ToArray();
            double delta = chain.Build(p, m, ref rng);
            if (double.IsNaN(delta))
            {
                Assert.Equal(assignment, state.Assignment);
                continue;
            }

            built++;
            ejected += chain.Length > 1 ? 1 : 0;
            var after = state.Breakdown();
            Assert.Equal(0, after.Violations);
            Assert.Equal(after.Energy - before.Energy, delta, 1e-3 + (1e-5 * Math.Abs(before.Energy)));
            Assert.Equal(m, state.Assignment[p]);
            if (i % 2 == 0)
            {
                chain.Undo();
                Assert.Equal(assignment, state.Assignment);
                Assert.Equal(before.Energy, state.Breakdown().Energy, 1e-6 * Math.Max(1, Math.Abs(before.Energy)));
            }
        }

        Assert.True(built > 50, $"only {built} chains could be built");
        Assert.True(ejected >= 5, $"only {ejected} of {built} chains ejected anything");
    }

    /// <summary>Every extended term on, capacity hard and only 10 % above the start's loads, so most targets are full.</summary>
    private static FlatProblem TightProblem(ulong seed)
    {
        var problem = RandomProblems.WithExtensions(RandomProblems.Create(seed, partitions: 90, nodes: 9, steps: 2, resources: 2, budget: false), seed, hardCapacity: true);
        RandomProblems.TightenCapacities(problem, RandomProblems.FeasibleStart(problem), 0.10);
        return problem;
    }
}
