using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels;

/// <summary>Searches composed of others, the same on every backend.</summary>
internal static class SearchPhases
{
    /// <summary>Share of the budget (time or steps) the genetic phase gets before annealing takes over.</summary>
    public const double GeneticSeedShare = 0.4;

    public delegate SearchResult Phase(SearchOptions options, ReadOnlySpan<int> start);

    /// <summary>The genetic algorithm for the first part of the budget, then annealing from its best.</summary>
    public static SearchResult GeneticThenAnneal(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, Phase genetic, Phase anneal)
    {
        var seedOptions = options with
        {
            Algorithm = SearchAlgorithm.Genetic,
            TimeBudget = options.TimeBudget * GeneticSeedShare,
            MaxStepsPerChain = options.MaxStepsPerChain is { } steps ? Math.Max(1, (long)(steps * GeneticSeedShare)) : null,
        };
        var seeded = genetic(seedOptions, start);
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

        var annealed = anneal(annealOptions, seeded.Assignment);
        var best = annealed.Cost.Energy <= seeded.Cost.Energy ? annealed : seeded;
        var statistics = new SearchStatistics(
            seeded.Statistics.EvaluatedMoves + annealed.Statistics.EvaluatedMoves,
            seeded.Statistics.AcceptedMoves + annealed.Statistics.AcceptedMoves,
            seeded.Statistics.Epochs + annealed.Statistics.Epochs,
            seeded.Statistics.Elapsed + annealed.Statistics.Elapsed);
        var trace = seeded.Trace.Concat(annealed.Trace.Select(t => t with { Elapsed = t.Elapsed + seeded.Statistics.Elapsed })).ToArray();
        return best with { Algorithm = SearchAlgorithm.GeneticThenAnneal, Statistics = statistics, Trace = trace };
    }
}
