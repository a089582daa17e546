using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels;

/// <summary>A search backend: takes the flat problem and a start, returns the best assignment found.</summary>
public interface ISearchBackend
{
    string Name { get; }

    SearchResult Search(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, CancellationToken cancellationToken = default);
}
