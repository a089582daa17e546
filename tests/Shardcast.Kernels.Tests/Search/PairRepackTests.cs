using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

/// <summary>
/// The exact two-node neighbourhood on tight hard-capacity problems (every extended term on): it never worsens the
/// plan or breaks a constraint, leaves the state exact, touches only the pair, finds the best division a brute force
/// finds, and improves plans that the polish has left at a local optimum of single moves.
/// </summary>
public class PairRepackTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Run_NeverWorsens_KeepsTheStateExact_AndRedividesOnlyThePair(ulong seed)
    {
        var state = RandomProblems.TightState(seed, partitions: 70, nodes: 7);
        var problem = state.Problem;
        var repack = new PairRepack(state);
        var rng = new CounterRng(seed, 7);
        int improved = 0;
        for (int i = 0; i < 60; i++)
        {
            int a = rng.NextInt(problem.Nodes);
            int b = (a + 1 + rng.NextInt(problem.Nodes - 1)) % problem.Nodes;
            int[] before = state.Assignment.ToArray();
            var exactBefore = state.Breakdown();
            double gain = repack.Run(a, b, ref rng);
            var exactAfter = state.Breakdown();

            Assert.True(gain >= 0);
            Assert.True(exactAfter.Violations <= exactBefore.Violations);
            Assert.Equal(exactAfter.Energy, state.Energy, Tolerance(exactAfter.Energy));
            Assert.Equal(exactBefore.Energy - gain, exactAfter.Energy, Tolerance(exactBefore.Energy));
            for (int p = 0; p < problem.Partitions; p++)
            {
                bool inPair = before[p] == a || before[p] == b;
                Assert.True(inPair ? state.Assignment[p] == a || state.Assignment[p] == b : state.Assignment[p] == before[p]);
            }

            improved += gain > 0 ? 1 : 0;
        }

        Assert.True(improved > 0, "no pair of a random tight plan could be re-divided for the better");
    }

    [Theory]
    [InlineData(4UL)]
    [InlineData(5UL)]
    [InlineData(6UL)]
    public void Run_FindsTheDivisionABruteForceFinds(ulong seed)
    {
        // Four nodes and 28 partitions: about 14 members per pair, every division enumerable.
        var problem = RandomProblems.Tight(seed, partitions: 28, nodes: 4);
        var start = RandomProblems.FeasibleStart(problem);
        var rng = new CounterRng(seed, 9);
        int improvable = 0;
        for (int trial = 0; trial < 3; trial++)
        {
            int a = trial % problem.Nodes;
            int b = (a + 1 + trial) % problem.Nodes;
            double best = BruteForceBest(problem, start, a, b, out double startEnergy);

            var state = new SearchState(problem);
            state.Reset(start);
            new PairRepack(state).Run(a, b, ref rng, visitBudget: long.MaxValue);

            bool better = best < startEnergy - SearchState.FloatNoise(startEnergy);
            double expected = better ? best : startEnergy;
            Assert.Equal(expected, state.Breakdown().Energy, Tolerance(expected));
            improvable += better ? 1 : 0;
        }

        Assert.True(improvable > 0, "no pair of this start could be improved: the comparison proves nothing");
    }

    [Fact]
    public void Sweep_ImprovesPlansThePolishLeftAtALocalOptimum()
    {
        int improvedSeeds = 0;
        for (ulong seed = 10; seed < 14; seed++)
        {
            var state = RandomProblems.TightState(seed, partitions: 90, nodes: 9);
            var problem = state.Problem;
            var rng = new CounterRng(seed, 11);
            var (_, _, converged) = LocalPolish.Run(state, ParallelAnnealer.Movable(problem), ref rng, () => false);
            state.Resynchronise();
            Assert.True(converged);
            double polished = state.Energy;
            int violations = state.Violations;

            var (pairs, visited, improved) = new PairRepack(state).Sweep(ref rng, visitLimit: long.MaxValue, () => false);

            Assert.True(pairs >= problem.Nodes * (problem.Nodes - 1) / 2);
            Assert.True(visited >= pairs);
            Assert.True(state.Violations <= violations);
            Assert.True(state.Energy <= polished);
            Assert.Equal(state.Breakdown().Energy, state.Energy, Tolerance(state.Energy));
            improvedSeeds += improved > 0 && state.Energy < polished ? 1 : 0;
        }

        Assert.True(improvedSeeds >= 2, $"the sweep improved the polished plan of {improvedSeeds} of 4 problems");
    }

    [Fact]
    public void Applies_OnlyWhereCapacityIsHardAndNoBudgetBinds()
    {
        Assert.True(PairRepack.Applies(RandomProblems.Tight(1, partitions: 30, nodes: 4)));
        Assert.False(PairRepack.Applies(RandomProblems.WithExtensions(RandomProblems.Create(1, budget: false), 1, hardCapacity: false)));
        Assert.False(PairRepack.Applies(RandomProblems.WithExtensions(RandomProblems.Create(1, budget: true), 1, hardCapacity: true)));
        Assert.False(PairRepack.Applies(RandomProblems.Create(1, budget: false)));
    }

    /// <summary>The lowest exact energy over every division of the pair's movable members allowed on both nodes.</summary>
    private static double BruteForceBest(FlatProblem problem, int[] start, int a, int b, out double startEnergy)
    {
        var items = Enumerable.Range(0, problem.Partitions)
            .Where(p => (start[p] == a || start[p] == b) && !problem.Pinned[p] && problem.IsAllowed(p, a) && problem.IsAllowed(p, b))
            .ToArray();
        Assert.InRange(items.Length, 2, 22);
        var state = new SearchState(problem);
        state.Reset(start);
        startEnergy = state.Energy;
        int allowed = state.Violations;
        double best = double.PositiveInfinity;
        var assignment = start.ToArray();
        for (long mask = 0; mask < 1L << items.Length; mask++)
        {
            for (int i = 0; i < items.Length; i++)
            {
                assignment[items[i]] = (mask >> i & 1) == 1 ? b : a;
            }

            state.Reset(assignment);
            if (state.Violations <= allowed)
            {
                best = Math.Min(best, state.Energy);
            }
        }

        return best;
    }

    private static double Tolerance(double energy) => 1e-3 + (1e-6 * Math.Abs(energy));
}
