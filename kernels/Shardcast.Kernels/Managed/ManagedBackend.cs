using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Managed;

/// <summary>The CPU backend: SIMD delta evaluation and the three searches, on every core. Always available.</summary>
public sealed class ManagedBackend : ISearchBackend, IBatchEvaluator
{
    public const string BackendName = "managed";

    public string Name => BackendName;

    public SearchResult Search(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (start.Length != problem.Partitions)
        {
            throw new ArgumentException($"The start assigns {start.Length} partitions; the problem has {problem.Partitions}.", nameof(start));
        }

        foreach (int node in start)
        {
            if ((uint)node >= (uint)problem.Nodes)
            {
                throw new ArgumentException($"The start names node {node}; the problem has {problem.Nodes}.", nameof(start));
            }
        }

        return options.Algorithm switch
        {
            SearchAlgorithm.Anneal => ParallelAnnealer.Run(problem, start, options, Name, cancellationToken),
            SearchAlgorithm.Genetic => GeneticSearch.Run(problem, start, options, Name, cancellationToken),
            SearchAlgorithm.Greedy => GreedyRebalancer.Run(problem, start, options, Name, cancellationToken),
            SearchAlgorithm.GeneticThenAnneal => GeneticThenAnneal(problem, start, options, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Algorithm, "Unknown search algorithm."),
        };
    }

    /// <summary>Share of the budget (time or steps) the genetic phase gets before annealing takes over.</summary>
    public const double GeneticSeedShare = 0.4;

    private SearchResult GeneticThenAnneal(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, CancellationToken cancellationToken)
    {
        var seedOptions = options with
        {
            Algorithm = SearchAlgorithm.Genetic,
            TimeBudget = options.TimeBudget * GeneticSeedShare,
            MaxStepsPerChain = options.MaxStepsPerChain is { } steps ? Math.Max(1, (long)(steps * GeneticSeedShare)) : null,
        };
        var seeded = GeneticSearch.Run(problem, start, seedOptions, Name, cancellationToken);
        var annealOptions = options with
        {
            Algorithm = SearchAlgorithm.Anneal,
            TimeBudget = options.TimeBudget - seeded.Statistics.Elapsed is { } left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1),
            MaxStepsPerChain = options.MaxStepsPerChain is { } all ? Math.Max(1, all - seedOptions.MaxStepsPerChain!.Value) : null,
            WarmStart = false,
        };
        if (options.TimeBudget is null)
        {
            annealOptions = annealOptions with { TimeBudget = null };
        }

        var annealed = ParallelAnnealer.Run(problem, seeded.Assignment, annealOptions, Name, cancellationToken);
        var best = annealed.Cost.Energy <= seeded.Cost.Energy ? annealed : seeded;
        var statistics = new SearchStatistics(
            seeded.Statistics.EvaluatedMoves + annealed.Statistics.EvaluatedMoves,
            seeded.Statistics.AcceptedMoves + annealed.Statistics.AcceptedMoves,
            seeded.Statistics.Epochs + annealed.Statistics.Epochs,
            seeded.Statistics.Elapsed + annealed.Statistics.Elapsed);
        var trace = seeded.Trace.Concat(annealed.Trace.Select(t => t with { Elapsed = t.Elapsed + seeded.Statistics.Elapsed })).ToArray();
        return best with { Algorithm = SearchAlgorithm.GeneticThenAnneal, Statistics = statistics, Trace = trace };
    }

    public CostBreakdown[] EvaluateBatch(FlatProblem problem, IReadOnlyList<int[]> candidates)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(candidates);
        foreach (int[] candidate in candidates)
        {
            BatchEvaluation.CheckCandidate(problem, candidate);
        }

        var result = new CostBreakdown[candidates.Count];
        Parallel.For(0, candidates.Count, () => new SearchState(problem), (i, _, state) =>
        {
            state.Reset(candidates[i]);
            result[i] = state.Breakdown();
            return state;
        }, _ => { });
        return result;
    }

    /// <summary>The managed float cost of an assignment (what the search sees), for comparison with the reference.</summary>
    public static CostBreakdown Evaluate(FlatProblem problem, ReadOnlySpan<int> assignment)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var state = new SearchState(problem);
        state.Reset(assignment);
        return state.Breakdown();
    }
}
