using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

/// <summary>
/// Ruin and recreate on tight hard-capacity problems (every extended term on): a round never worsens the plan or
/// breaks a constraint, leaves the state exact, never moves a pinned partition, and rounds improve plans that the
/// polish and a full sweep of exact pairs have left where they can go no further.
/// </summary>
public class RuinRecreateTests
{
    [Fact]
    public void ANodeHasRoomUnderSafety_OnlyWhereSomeLoadIsBelowAPricedSafetyLevel()
    {
        var state = RandomProblems.TightState(4, partitions: 60, nodes: 6);
        var problem = state.Problem;
        var x = problem.Extensions!;
        Array.Fill(x.Safety, 0);
        x.Safety[(2 * x.Resources) + 1] = 1e12;
        Assert.Equal([false, false, true, false, false, false], Enumerable.Range(0, problem.Nodes).Select(state.Extension!.HasRoomUnderSafety));

        // Room under a safety level that costs nothing is not room the cost sees.
        x.SafetyWeight[1] = 0;
        Assert.DoesNotContain(true, Enumerable.Range(0, problem.Nodes).Select(state.Extension!.HasRoomUnderSafety));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Round_NeverWorsens_KeepsTheStateExact_AndLeavesPinnedPartitions(ulong seed)
    {
        var problem = RandomProblems.Tight(seed, partitions: 80, nodes: 8);
        var start = RandomProblems.FeasibleStart(problem);

        // Pinned where the start puts them: a round must leave them there.
        for (int p = 0; p < problem.Partitions; p += 9)
        {
            problem.Pinned[p] = true;
        }
        var state = new SearchState(problem);
        state.Reset(start);
        var ruin = new RuinRecreate(state);
        var rng = new CounterRng(seed, 21);
        int improved = 0, changed = 0;
        for (int i = 0; i < 400; i++)
        {
            int[] before = state.Assignment.ToArray();
            var exactBefore = state.Breakdown();
            double gain = ruin.Round(ref rng);
            state.Resynchronise();
            var exactAfter = state.Breakdown();

            Assert.True(gain >= 0);
            Assert.True(exactAfter.Violations <= exactBefore.Violations);
            Assert.True(exactAfter.Energy <= exactBefore.Energy + Tolerance(exactBefore.Energy));
            Assert.Equal(exactBefore.Energy - gain, exactAfter.Energy, Tolerance(exactBefore.Energy));
            for (int p = 0; p < problem.Partitions; p++)
            {
                Assert.True(!problem.Pinned[p] || state.Assignment[p] == start[p]);
            }

            improved += gain > 0 ? 1 : 0;
            changed += before.AsSpan().SequenceEqual(state.Assignment) ? 0 : 1;
        }

        Assert.True(improved > 0, "no round improved a random tight plan");
        Assert.True(changed >= improved);
    }

    [Fact]
    public void Run_LeavesTheTrackedEnergyExact()
    {
        var state = RandomProblems.TightState(7, partitions: 120, nodes: 10);
        var rng = new CounterRng(7, 3);

        var (rounds, _) = new RuinRecreate(state).Run(ref rng, roundLimit: 3_000, idleLimit: long.MaxValue, () => false);

        Assert.Equal(3_000, rounds);
        var exact = state.Breakdown();
        Assert.Equal(exact.Energy, state.Energy);
        Assert.Equal(exact.Violations, state.Violations);
    }

    [Fact]
    public void Run_ImprovesPlansThePolishAndTheExactPairsLeft()
    {
        int improvedSeeds = 0;
        for (ulong seed = 10; seed < 14; seed++)
        {
            var state = RandomProblems.TightState(seed, partitions: 90, nodes: 9);
            var problem = state.Problem;
            var rng = new CounterRng(seed, 11);
            var movable = ParallelAnnealer.Movable(problem);
            LocalPolish.Run(state, movable, ref rng, () => false);
            new PairRepack(state).Sweep(ref rng, visitLimit: long.MaxValue, () => false);
            LocalPolish.Run(state, movable, ref rng, () => false);
            state.Resynchronise();
            double settled = state.Energy;
            int violations = state.Violations;

            var (_, improved) = new RuinRecreate(state).Run(ref rng, roundLimit: 20_000, idleLimit: 5_000, () => false);

            Assert.True(state.Violations <= violations);
            Assert.True(state.Energy <= settled);
            improvedSeeds += improved > 0 && state.Energy < settled - Tolerance(settled) ? 1 : 0;
        }

        Assert.True(improvedSeeds >= 2, $"ruin and recreate improved the settled plan of {improvedSeeds} of 4 problems");
    }

    [Fact]
    public void Fits_WhereThePairsApplyAndThereAreNodesToParkOn()
    {
        Assert.True(RuinRecreate.Fits(RandomProblems.Tight(1, partitions: 30, nodes: 4)));
        Assert.False(RuinRecreate.Fits(RandomProblems.Tight(1, partitions: 10, nodes: 2)));
        Assert.False(RuinRecreate.Fits(RandomProblems.WithExtensions(RandomProblems.Create(1, budget: false), 1, hardCapacity: false)));
        Assert.False(RuinRecreate.Fits(RandomProblems.WithExtensions(RandomProblems.Create(1, budget: true), 1, hardCapacity: true)));
    }

    private static double Tolerance(double energy) => 1e-3 + (1e-6 * Math.Abs(energy));
}
