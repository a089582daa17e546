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
            SearchAlgorithm.GeneticThenAnneal => SearchPhases.GeneticThenAnneal(
                problem, start, options,
                (o, s) => GeneticSearch.Run(problem, s, o, Name, cancellationToken),
                (o, s) => ParallelAnnealer.Run(problem, s, o, Name, cancellationToken)),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Algorithm, "Unknown search algorithm."),
        };
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
