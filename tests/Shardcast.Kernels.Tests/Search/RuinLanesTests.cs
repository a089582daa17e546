using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

/// <summary>
/// Ruin and recreate in lanes: the plan handed back is the best a lane held, exact and better than a random tight
/// start; one lane in one leg is plain ruin and recreate; and under a round budget the plan is the same whatever the
/// thread count, legs and restarts included.
/// </summary>
public class RuinLanesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Run_HandsBackAnExactPlan_NoWorseThanTheStart_AndRunsTheRoundsAsked(int lanes)
    {
        var problem = RandomProblems.Tight(5, partitions: 100, nodes: 9);
        var start = RandomProblems.FeasibleStart(problem);
        var reference = new SearchState(problem);
        reference.Reset(start);
        var startEnergy = reference.Breakdown();

        var (best, rounds, improved) = new RuinLanes(problem, new SearchState(problem), start, lanes, seed: 5, threads: 2, roundsPerLeg: 300)
            .Run(roundLimit: 3_000, _ => false);

        Assert.Equal(3_000 / lanes * lanes, rounds);
        Assert.True(improved > 0, "no round improved a random tight plan");
        var exact = best.Breakdown();
        Assert.Equal(exact.Energy, best.Energy);
        Assert.True(exact.Violations <= startEnergy.Violations);
        Assert.True(exact.Energy < startEnergy.Energy);
    }

    [Fact]
    public void Run_GivesTheSamePlanWhateverTheThreadCount()
    {
        var problem = RandomProblems.Tight(6, partitions: 90, nodes: 8);
        var start = RandomProblems.FeasibleStart(problem);

        int[] Plan(int threads)
        {
            var (best, _, _) = new RuinLanes(problem, new SearchState(problem), start, lanes: 3, seed: 6, threads, roundsPerLeg: 250)
                .Run(roundLimit: 6_000, _ => false);
            return best.Assignment.ToArray();
        }

        int[] one = Plan(1);
        Assert.Equal(one, Plan(3));
        Assert.False(one.AsSpan().SequenceEqual(start), "the rounds changed nothing, so the comparison shows nothing");
    }

    [Fact]
    public void OneLaneInOneLeg_IsPlainRuinAndRecreate()
    {
        var problem = RandomProblems.Tight(8, partitions: 110, nodes: 10);
        var start = RandomProblems.FeasibleStart(problem);
        var plain = new SearchState(problem);
        plain.Reset(start);
        var rng = new CounterRng(8, 0x5A1E0FUL);
        new RuinRecreate(plain).Run(ref rng, roundLimit: 2_000, idleLimit: long.MaxValue, () => false);

        var (lane, _, _) = new RuinLanes(problem, new SearchState(problem), start, lanes: 1, seed: 8, threads: 1, roundsPerLeg: 2_000)
            .Run(roundLimit: 2_000, _ => false);

        Assert.Equal(plain.Assignment, lane.Assignment);
        Assert.Equal(plain.Energy, lane.Energy);
    }

    [Fact]
    public void Run_StopsWhenAsked()
    {
        var problem = RandomProblems.Tight(9, partitions: 60, nodes: 6);
        var start = RandomProblems.FeasibleStart(problem);
        int calls = 0;

        var (_, rounds, _) = new RuinLanes(problem, new SearchState(problem), start, lanes: 2, seed: 9, threads: 1)
            .Run(roundLimit: long.MaxValue, _ => Interlocked.Increment(ref calls) > 50);

        Assert.InRange(rounds, 1, 100);
    }
}
