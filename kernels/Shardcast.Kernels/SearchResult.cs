using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels;

/// <summary>The best assignment a search found, its cost, and how the search got there.</summary>
public sealed record SearchResult(
    int[] Assignment,
    CostBreakdown Cost,
    int Moves,
    double MovedBytes,
    string Backend,
    SearchAlgorithm Algorithm,
    SearchStatistics Statistics,
    IReadOnlyList<TracePoint> Trace)
{
    /// <summary>Where the requested backend could not search and another did: which one was asked for, and why it failed.</summary>
    public BackendFallback? Fallback { get; init; }

    /// <summary>No hard constraint broken and no node over capacity at any step.</summary>
    public bool Feasible => Cost.Violations == 0 && Cost.Overload <= 1e-6;
}

/// <param name="Requested">The backend asked for.</param>
/// <param name="Reason">Why it did not search (no device, unsupported problem, a failed call, named).</param>
public sealed record BackendFallback(string Requested, string Reason);
