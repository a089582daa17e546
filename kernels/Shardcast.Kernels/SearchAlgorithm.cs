namespace Shardcast.Kernels;

public enum SearchAlgorithm
{
    /// <summary>Parallel annealing chains with replica exchange.</summary>
    Anneal,

    /// <summary>Genetic algorithm over whole assignments, each child repaired and locally improved.</summary>
    Genetic,

    /// <summary>Goal-based greedy baseline: hottest partition off the most loaded node, repeated.</summary>
    Greedy,

    /// <summary>The genetic algorithm for the first part of the budget, then annealing from its best.</summary>
    GeneticThenAnneal,
}
