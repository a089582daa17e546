using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels.Search;

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
    /// <summary>No hard constraint broken and no node over capacity at any step.</summary>
    public bool Feasible => Cost.Violations == 0 && Cost.Overload <= 1e-6;
}
