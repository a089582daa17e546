using Shardcast.Kernels;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Managed;

public class ManagedSearchTests
{
    private static readonly ManagedBackend Backend = new();

    public static TheoryData<SearchAlgorithm> Algorithms => [SearchAlgorithm.Anneal, SearchAlgorithm.Genetic, SearchAlgorithm.Greedy, SearchAlgorithm.GeneticThenAnneal];

    private static SearchOptions Steps(SearchAlgorithm algorithm, long steps = 20_000, ulong seed = 7, int threads = 0) => new()
    {
        Algorithm = algorithm,
        TimeBudget = null,
        MaxStepsPerChain = steps,
        StepsPerEpoch = 2_000,
        Seed = seed,
        Threads = threads,
    };

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Search_NeverBreaksAHardConstraint(SearchAlgorithm algorithm)
    {
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var problem = RandomProblems.Create(seed, partitions: 150, nodes: 10, steps: 6, resources: 2);
            var result = Backend.Search(problem, problem.Initial, Steps(algorithm, seed: seed));
            Assert.Equal(0, result.Cost.Violations);
            Assert.True(result.Moves <= problem.MaxMoves, $"{result.Moves} moves over the budget of {problem.MaxMoves}");
            Assert.True(result.MovedBytes <= problem.MaxBytes);
            for (int p = 0; p < problem.Partitions; p++)
            {
                Assert.True(problem.IsAllowed(p, result.Assignment[p]) || problem.Pinned[p], $"partition {p} left its node set");
                if (problem.Pinned[p])
                {
                    Assert.Equal(problem.Initial[p], result.Assignment[p]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Search_LowersTheEnergyOfAnUnbalancedStart(SearchAlgorithm algorithm)
    {
        var problem = RandomProblems.Create(21, partitions: 200, nodes: 10, steps: 6, resources: 2, budget: false);
        var start = ManagedBackend.Evaluate(problem, problem.Initial);
        var result = Backend.Search(problem, problem.Initial, Steps(algorithm));
        Assert.True(result.Cost.Energy < 0.5 * start.Energy, $"{algorithm}: {result.Cost.Energy} from {start.Energy}");
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Search_WithTheSameSeedAndSteps_GivesTheSamePlan_WhateverTheThreadCount(SearchAlgorithm algorithm)
    {
        var problem = RandomProblems.Create(5, partitions: 120, nodes: 9, steps: 4, resources: 2);
        var one = Backend.Search(problem, problem.Initial, Steps(algorithm, threads: 1));
        var two = Backend.Search(problem, problem.Initial, Steps(algorithm, threads: 2));
        var again = Backend.Search(problem, problem.Initial, Steps(algorithm, threads: 2));
        Assert.Equal(one.Assignment, two.Assignment);
        Assert.Equal(two.Assignment, again.Assignment);
    }

    [Fact]
    public void Chain_Reseeded_DoesWhatAFreshChainOnThatStreamDoes_WhateverItRanBefore()
    {
        // The genetic search lends one chain to two individuals in whichever order the threads reach them; reseeding
        // per individual is what keeps its plan the same on one thread and on two.
        var problem = RandomProblems.Create(5, partitions: 120, nodes: 9, steps: 4, resources: 2);
        var proposer = new MoveProposer(problem, ParallelAnnealer.Movable(problem));
        var fresh = new AnnealingChain(new SearchState(problem), proposer, 7, 0x51, 0.3, 0.6) { Temperature = 0 };
        var lent = new AnnealingChain(new SearchState(problem), proposer, 7, 3, 0.3, 0.6) { Temperature = 0 };

        lent.State.Reset(problem.Initial);
        lent.Run(3_000);
        lent.State.Reset(problem.Initial);
        lent.Reseed(7, 0x51UL);
        lent.Run(2_000);
        fresh.State.Reset(problem.Initial);
        fresh.Run(2_000);

        Assert.Equal(fresh.State.Assignment.ToArray(), lent.State.Assignment.ToArray());
        Assert.NotEqual(problem.Initial, lent.State.Assignment.ToArray());
    }

    [Fact]
    public void Anneal_WithADifferentSeed_ExploresDifferently()
    {
        var problem = RandomProblems.Create(5, partitions: 120, nodes: 9, steps: 4, resources: 2);
        var a = Backend.Search(problem, problem.Initial, Steps(SearchAlgorithm.Anneal, steps: 4_000, seed: 1));
        var b = Backend.Search(problem, problem.Initial, Steps(SearchAlgorithm.Anneal, steps: 4_000, seed: 2));
        Assert.NotEqual(a.Assignment, b.Assignment);
    }

    [Fact]
    public void Anneal_BeatsOrMatchesTheGreedyBaseline()
    {
        var problem = RandomProblems.Create(8, partitions: 300, nodes: 12, steps: 6, resources: 2, budget: false);
        var greedy = Backend.Search(problem, problem.Initial, Steps(SearchAlgorithm.Greedy, steps: 100_000));
        var anneal = Backend.Search(problem, problem.Initial, Steps(SearchAlgorithm.Anneal, steps: 60_000));
        Assert.True(anneal.Cost.Energy <= greedy.Cost.Energy * 1.0001, $"anneal {anneal.Cost.Energy} vs greedy {greedy.Cost.Energy}");
    }

    [Fact]
    public void Anneal_StopsAtTheTargetEnergy()
    {
        var problem = RandomProblems.Create(9, partitions: 100, nodes: 8, steps: 3, resources: 2, budget: false);
        var start = ManagedBackend.Evaluate(problem, problem.Initial);
        var options = Steps(SearchAlgorithm.Anneal, steps: 10_000_000) with { TargetEnergy = start.Energy * 0.9 };
        var result = Backend.Search(problem, problem.Initial, options);
        Assert.True(result.Statistics.Epochs < 10_000_000 / 2_000, "the run went to its step budget instead of stopping at the target");
        Assert.True(result.Cost.Energy <= start.Energy * 0.9 + 1e-3);
    }

    [Fact]
    public void Anneal_RepairsAStartThatBreaksReplicaPlacement()
    {
        var problem = RandomProblems.Create(13, partitions: 90, nodes: 8, steps: 3, resources: 2, budget: false);
        var start = GroupsPiledOnOneNode(problem);

        Assert.True(ManagedBackend.Evaluate(problem, start).Violations > 0);
        var result = Backend.Search(problem, start, Steps(SearchAlgorithm.Anneal, steps: 40_000));
        Assert.Equal(0, result.Cost.Violations);
    }

    [Fact]
    public void Repair_OnAClusterOfManyNodes_SamplesNodesFirst_AndStillRemovesEveryBreakage()
    {
        // Over 1024 nodes a breaking partition tries a random sample of nodes before all of them: the start here
        // piles every replica group onto one node and puts tenant partitions on nodes their tenant may not use.
        var problem = RandomProblems.Create(21, partitions: 3000, nodes: 1500, steps: 2, resources: 2, budget: false);
        var start = GroupsPiledOnOneNode(problem);

        for (int p = 0; p < problem.Partitions; p++)
        {
            if (!problem.Pinned[p] && problem.IsAllowed(p, start[p]) && !problem.IsAllowed(p, (start[p] + 1) % problem.Nodes))
            {
                start[p] = (start[p] + 1) % problem.Nodes;
            }
        }

        int broken = ManagedBackend.Evaluate(problem, start).Violations;
        Assert.True(broken > 100, $"the start breaks {broken} constraints");
        var greedy = Backend.Search(problem, start, Steps(SearchAlgorithm.Greedy, steps: 1));
        var again = Backend.Search(problem, start, Steps(SearchAlgorithm.Greedy, steps: 1));
        Assert.Equal(0, greedy.Cost.Violations);
        Assert.Equal(greedy.Assignment, again.Assignment);
    }

    /// <summary>The problem's start with every replica group's members on its first member's node.</summary>
    private static int[] GroupsPiledOnOneNode(Problem.FlatProblem problem)
    {
        var start = problem.Initial.ToArray();
        for (int g = 0; g < problem.Groups; g++)
        {
            var members = problem.MembersOf(g);
            foreach (int p in members)
            {
                start[p] = start[members[0]];
            }
        }

        return start;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Progress_IsToldTheBestEnergyAsItFalls_EndingAtTheResult(SearchAlgorithm algorithm)
    {
        var problem = RandomProblems.Create(9, partitions: 120, nodes: 8, budget: false);
        var reports = new List<double>();
        var options = Steps(algorithm) with { Progress = new Collect(reports) };
        var result = Backend.Search(problem, problem.Initial, options);
        Assert.NotEmpty(reports);
        for (int i = 1; i < reports.Count; i++)
        {
            Assert.True(reports[i] <= reports[i - 1], $"report {i} rose from {reports[i - 1]} to {reports[i]}");
        }

        Assert.Equal(result.Trace[^1].BestEnergy, reports[^1]);
    }

    /// <summary>Collects reports as they come (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class Collect(List<double> into) : IProgress<TracePoint>
    {
        public void Report(TracePoint value) => into.Add(value.BestEnergy);
    }

    [Fact]
    public void Search_RefusesAStartOfTheWrongLength()
    {
        var problem = RandomProblems.Create(1);
        Assert.Throws<ArgumentException>(() => Backend.Search(problem, new int[3], Steps(SearchAlgorithm.Anneal)));
    }

    [Fact]
    public void Trace_IsMonotoneAndEndsAtTheResult()
    {
        var problem = RandomProblems.Create(4, partitions: 100, nodes: 8, budget: false);
        var result = Backend.Search(problem, problem.Initial, Steps(SearchAlgorithm.Anneal));
        for (int i = 1; i < result.Trace.Count; i++)
        {
            Assert.True(result.Trace[i].BestEnergy < result.Trace[i - 1].BestEnergy);
        }

        Assert.Equal(result.Cost.Energy, result.Trace[^1].BestEnergy, 1e-2 + (1e-4 * Math.Abs(result.Cost.Energy)));
    }
}
