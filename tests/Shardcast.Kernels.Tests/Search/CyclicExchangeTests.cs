using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

/// <summary>
/// Cyclic and path exchanges on tight hard-capacity problems (every extended term on, the native terms that do not
/// add up node by node at 0, as the ROADEF mapping has them): a chain's cost as a sum of
/// arcs is the exact energy change where its members' groups do not meet, a run never worsens the plan or breaks a
/// constraint, leaves the state exact and pinned partitions where they are, and improves plans that the polish, the
/// exact pairs and the ruin rounds have left.
/// </summary>
public class CyclicExchangeTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void ChainCost_IsTheExactEnergyChange_ForMembersOfDistinctGroups(ulong seed)
    {
        var problem = RandomProblems.Linear(seed, partitions: 80, nodes: 8);
        var state = new SearchState(problem);
        state.Reset(RandomProblems.FeasibleStart(problem));

        // The largest count of moved members per group is the one term a chain does not add up node by node.
        problem.Extensions!.GroupMoveWeight = 0;
        state.Resynchronise();
        var exchange = new CyclicExchange(state, new SearchState(problem), ParallelAnnealer.Movable(problem), maxLength: 5);
        var scratch = new SearchState(problem);
        var rng = new CounterRng(seed, 5);
        int judged = 0;
        for (int attempt = 0; attempt < 4_000 && judged < 60; attempt++)
        {
            var (chain, end) = RandomChain(state, ref rng);
            double predicted = exchange.ChainCost(chain, end);
            if (double.IsPositiveInfinity(predicted))
            {
                continue;
            }

            int[] after = state.Assignment.ToArray();
            for (int t = 0; t < chain.Length - 1; t++)
            {
                after[chain[t]] = state.Assignment[chain[t + 1]];
            }

            after[chain[^1]] = end;
            scratch.Reset(after);
            if (scratch.Violations > state.Violations)
            {
                // The arcs judge each member's move alone; the exact test refuses what they break together.
                continue;
            }

            Assert.Equal(scratch.Energy - state.Energy, predicted, Tolerance(state.Energy));
            judged++;
        }

        Assert.True(judged >= 20, $"only {judged} chains could be judged");
    }

    [Theory]
    [InlineData(1UL, CyclicExchange.DefaultWindow)]
    [InlineData(2UL, CyclicExchange.DefaultWindow)]
    [InlineData(3UL, CyclicExchange.DefaultWindow)]
    [InlineData(4UL, 20)]
    [InlineData(5UL, 20)]
    public void Run_NeverWorsens_KeepsTheStateExact_AndLeavesPinnedPartitions(ulong seed, int window)
    {
        var problem = RandomProblems.Linear(seed, partitions: 80, nodes: 8);
        var start = RandomProblems.FeasibleStart(problem);
        for (int p = 0; p < problem.Partitions; p += 7)
        {
            problem.Pinned[p] = true;
        }

        var state = new SearchState(problem);
        state.Reset(start);
        double before = state.Energy;
        int violations = state.Violations;

        var (passes, kept) = new CyclicExchange(state, new SearchState(problem), ParallelAnnealer.Movable(problem), maxLength: 5, seed, window).Run(passLimit: 50, () => false);

        Assert.InRange(passes, 1, 50);
        var exact = state.Breakdown();
        Assert.Equal(exact.Energy, state.Energy);
        Assert.Equal(exact.Violations, state.Violations);
        Assert.True(state.Violations <= violations);
        Assert.True(kept == 0 ? state.Energy == before : state.Energy < before);
        for (int p = 0; p < problem.Partitions; p++)
        {
            Assert.True(!problem.Pinned[p] || state.Assignment[p] == start[p]);
        }
    }

    /// <summary>Also in windows of 150 of the 400 partitions (about 11 of the 30 nodes), as a plan of 50,000 is searched in windows of 2,000.</summary>
    [Theory]
    [InlineData(CyclicExchange.DefaultWindow)]
    [InlineData(150)]
    public void Run_ImprovesPlansThePolishTheExactPairsAndTheRuinRoundsLeft(int window)
    {
        // Large enough that 20,000 rounds leave room; on 90 partitions over 9 nodes the rounds leave none.
        int improvedSeeds = 0;
        for (ulong seed = 20; seed < 24; seed++)
        {
            var problem = RandomProblems.Linear(seed, partitions: 400, nodes: 30);
            var state = new SearchState(problem);
            state.Reset(RandomProblems.FeasibleStart(problem));
            var rng = new CounterRng(seed, 11);
            var movable = ParallelAnnealer.Movable(problem);
            LocalPolish.Run(state, movable, ref rng, () => false);
            new PairRepack(state).Sweep(ref rng, visitLimit: long.MaxValue, () => false);
            new RuinRecreate(state).Run(ref rng, roundLimit: 20_000, idleLimit: 5_000, () => false);
            LocalPolish.Run(state, movable, ref rng, () => false);
            state.Resynchronise();
            double settled = state.Energy;
            int violations = state.Violations;

            var (_, kept) = new CyclicExchange(state, new SearchState(problem), movable, maxLength: 5, seed, window).Run(passLimit: 200, () => false);

            Assert.True(state.Violations <= violations);
            Assert.True(state.Energy <= settled);
            improvedSeeds += kept > 0 && state.Energy < settled - Tolerance(settled) ? 1 : 0;
        }

        Assert.True(improvedSeeds >= 2, $"cyclic exchange improved the settled plan of {improvedSeeds} of 4 problems");
    }

    [Fact]
    public void Run_StopsWhenAskedAndLeavesTheStateExact()
    {
        var problem = RandomProblems.Linear(9, partitions: 120, nodes: 10);
        var state = new SearchState(problem);
        state.Reset(RandomProblems.FeasibleStart(problem));
        int calls = 0;

        var (passes, _) = new CyclicExchange(state, new SearchState(state.Problem), ParallelAnnealer.Movable(state.Problem), maxLength: 5)
            .Run(passLimit: 50, () => ++calls > 30);

        Assert.Equal(1, passes);
        var exact = state.Breakdown();
        Assert.Equal(exact.Energy, state.Energy);
    }

    /// <summary>Two to five movable partitions on distinct nodes, closed as a cycle half the time and otherwise onto a node outside.</summary>
    [Fact]
    public void Fits_WhereTheRuinRoundsRunAndTheCostAddsUpNodeByNode()
    {
        Assert.True(CyclicExchange.Fits(RandomProblems.Linear(1, partitions: 30, nodes: 4)));
        Assert.False(CyclicExchange.Fits(RandomProblems.Tight(1, partitions: 30, nodes: 4)));
        Assert.False(CyclicExchange.Fits(RandomProblems.Linear(1, partitions: 10, nodes: 2)));
    }

    private static (int[] Chain, int End) RandomChain(SearchState state, ref CounterRng rng)
    {
        var problem = state.Problem;
        int length = 2 + rng.NextInt(4);
        var chain = new List<int>();
        var nodes = new HashSet<int>();
        var groups = new HashSet<int>();
        for (int tries = 0; chain.Count < length && tries < 200; tries++)
        {
            int p = rng.NextInt(problem.Partitions);
            int g = problem.GroupOf[p];
            if (problem.Pinned[p] || nodes.Contains(state.Assignment[p]) || (g >= 0 && !groups.Add(g)))
            {
                continue;
            }

            chain.Add(p);
            nodes.Add(state.Assignment[p]);
        }

        int first = state.Assignment[chain[0]];
        if (chain.Count >= 2 && rng.NextInt(2) == 0)
        {
            return (chain.ToArray(), first);
        }

        var outside = Enumerable.Range(0, problem.Nodes).Where(n => !nodes.Contains(n)).ToArray();
        return outside.Length == 0 ? (chain.ToArray(), first) : (chain.ToArray(), outside[rng.NextInt(outside.Length)]);
    }

    private static double Tolerance(double energy) => 1e-3 + (1e-6 * Math.Abs(energy));
}
