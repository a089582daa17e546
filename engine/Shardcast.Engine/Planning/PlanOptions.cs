using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Planning;

/// <summary>Overrides of the cluster file's search section, from the CLI or a request.</summary>
public sealed record PlanOptions
{
    public string? Backend { get; init; }

    public SearchAlgorithm? Algorithm { get; init; }

    public int? TimeMs { get; init; }

    public ulong? Seed { get; init; }

    /// <summary>A step budget per chain instead of a time budget: the plan is then the same on every run.</summary>
    public long? StepsPerChain { get; init; }

    public int Threads { get; init; }

    /// <summary>Stop the search as soon as a plan's energy (cost plus penalties) is at or below this.</summary>
    public double? TargetCost { get; init; }

    /// <summary>Annealing chains; 0 lets the backend choose.</summary>
    public int Chains { get; init; }

    /// <summary>Whether to search for the node count that makes an infeasible plan feasible.</summary>
    public bool AdviseScaling { get; init; } = true;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Told the search's best energy as it goes (see <see cref="SearchOptions.Progress"/>); null for none.</summary>
    public IProgress<TracePoint>? Progress { get; init; }
}
