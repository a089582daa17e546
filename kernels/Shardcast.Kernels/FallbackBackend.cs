using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;
using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels;

/// <summary>
/// A device backend with the managed one behind it: where the device cannot search (no library or device, a
/// problem it does not support, a call that fails mid-run) the fallback searches the rest of the budget, and the
/// result says which backend was asked for and why it did not answer. Bugs (any other exception) are not hidden.
/// </summary>
public sealed class FallbackBackend(ISearchBackend primary, ISearchBackend fallback) : ISearchBackend, IBatchEvaluator
{
    /// <summary>Share of the budget the fallback gets at least, however late the device failed.</summary>
    private const double MinimumShare = 0.25;

    public string Name => primary.Name;

    public SearchResult Search(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        long started = options.Clock.GetTimestamp();
        try
        {
            return primary.Search(problem, start, options, cancellationToken);
        }
        catch (Exception e) when (IsDeviceFailure(e))
        {
            var rest = options;
            if (options.TimeBudget is { } budget)
            {
                var left = budget - options.Clock.GetElapsedTime(started);
                rest = options with { TimeBudget = left > budget * MinimumShare ? left : budget * MinimumShare };
            }

            return fallback.Search(problem, start, rest, cancellationToken) with { Fallback = new BackendFallback(primary.Name, e.Message) };
        }
    }

    public CostBreakdown[] EvaluateBatch(FlatProblem problem, IReadOnlyList<int[]> candidates)
    {
        try
        {
            return ((IBatchEvaluator)primary).EvaluateBatch(problem, candidates);
        }
        catch (Exception e) when (IsDeviceFailure(e) || e is InvalidCastException)
        {
            return ((IBatchEvaluator)fallback).EvaluateBatch(problem, candidates);
        }
    }

    public static bool IsDeviceFailure(Exception e) => e is NativeCallException or DeviceUnsupportedException or DllNotFoundException or EntryPointNotFoundException;
}
