namespace Shardcast.Kernels;

/// <summary>
/// How long and how a search runs. Runs stop at the first of: the time budget, the step budget, the target
/// energy, cancellation. With no time budget the result is a pure function of the problem, the start, the
/// seed and the step budget; with one, the number of epochs completed depends on the machine.
/// </summary>
public sealed record SearchOptions
{
    public const int DefaultStepsPerEpoch = 20_000;

    public SearchAlgorithm Algorithm { get; init; } = SearchAlgorithm.Anneal;

    public TimeSpan? TimeBudget { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Proposal steps per chain (annealing) or generations x local steps (genetic); null for none.</summary>
    public long? MaxStepsPerChain { get; init; }

    public ulong Seed { get; init; } = 1;

    /// <summary>Annealing chains (replicas); 0 picks one per core, at least two (measured: more chains than cores
    /// spread the same steps thinner and converge later within budgets of seconds, docs/benchmarks.md).</summary>
    public int Chains { get; init; }

    /// <summary>Degree of parallelism; 0 uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>Stop as soon as the best energy is at or below this.</summary>
    public double TargetEnergy { get; init; } = double.NegativeInfinity;

    public int StepsPerEpoch { get; init; } = DefaultStepsPerEpoch;

    /// <summary>Share of proposals that are swaps rather than single moves.</summary>
    public double SwapShare { get; init; } = 0.3;

    /// <summary>
    /// Multiplies the annealer's acceptance targets (hot 5 % to 0.5 %, cold 0.1 % to 0.001 % of uphill proposals).
    /// Null chooses: <see cref="HardCapacityAcceptanceScale"/> where capacity is hard, 1 elsewhere.
    /// </summary>
    public double? AcceptanceScale { get; init; }

    /// <summary>
    /// Where capacity is hard, most uphill proposals that survive the constraint checks are steep (a partition next
    /// to a full node), and twenty times the native targets keeps the chains moving; measured on the ROADEF A
    /// instances (docs/benchmarks.md, docs/architecture.md).
    /// </summary>
    public const double HardCapacityAcceptanceScale = 20;

    /// <summary>Share of proposals drawn from hot nodes to cool ones rather than uniformly.</summary>
    public double BiasShare { get; init; } = 0.6;

    /// <summary>
    /// Annealing first runs the greedy descent on the start (at most <see cref="WarmStartShare"/> of a time budget):
    /// it removes the gross imbalance with few, large moves, and the chains refine from there.
    /// </summary>
    public bool WarmStart { get; init; } = true;

    public const double WarmStartShare = 0.3;

    /// <summary>Genetic population size.</summary>
    public int Population { get; init; } = 12;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Told the best energy each time a search records it (every epoch, every greedy step), on the searching thread;
    /// null for none. The CLI draws its progress from it; searches nested in others (the capacity advice) leave it out.
    /// </summary>
    public IProgress<TracePoint>? Progress { get; init; }

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    public int EffectiveChains => Chains > 0 ? Chains : Math.Max(2, EffectiveThreads);

    public void Validate()
    {
        if (TimeBudget is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TimeBudget), t, "The time budget must be positive.");
        }

        if (TimeBudget is null && MaxStepsPerChain is null && double.IsNegativeInfinity(TargetEnergy))
        {
            throw new ArgumentException("A search needs a time budget, a step budget or a target energy to stop.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StepsPerEpoch);
        ArgumentOutOfRangeException.ThrowIfNegative(Chains);
        ArgumentOutOfRangeException.ThrowIfNegative(Threads);
        ArgumentOutOfRangeException.ThrowIfLessThan(Population, 4);
        if (AcceptanceScale is { } scale && scale is <= 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(AcceptanceScale), AcceptanceScale, "The acceptance scale lies in (0, 100].");
        }

        if (SwapShare is < 0 or > 1 || BiasShare is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SwapShare), "Proposal shares lie in [0, 1].");
        }
    }
}
