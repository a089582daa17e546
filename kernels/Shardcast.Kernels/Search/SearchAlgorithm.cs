namespace Shardcast.Kernels.Search;

public enum SearchAlgorithm
{
    /// <summary>Parallel annealing chains with replica exchange.</summary>
    Anneal,

    /// <summary>Genetic algorithm over whole assignments, each child repaired and locally improved.</summary>
    Genetic,

    /// <summary>Goal-based greedy baseline: hottest partition off the most loaded node, repeated.</summary>
    Greedy,
}
