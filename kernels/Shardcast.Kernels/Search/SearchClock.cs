
namespace Shardcast.Kernels.Search;

/// <summary>The stop rules every search shares: time budget, step budget, target energy, cancellation; and the trace.</summary>
internal sealed class SearchClock
{
    private readonly SearchOptions _options;
    private readonly long _started;
    private readonly List<TracePoint> _trace = [];

    public SearchClock(SearchOptions options)
    {
        _options = options;
        _started = options.Clock.GetTimestamp();
    }

    public TimeSpan Elapsed => _options.Clock.GetElapsedTime(_started);

    /// <summary>Time left of the time budget, or null when there is none.</summary>
    public TimeSpan? TimeLeft => _options.TimeBudget - Elapsed;

    public IReadOnlyList<TracePoint> Trace => _trace;

    /// <summary>Share of the budget spent, in [0, 1]: steps when a step budget is set (deterministic), else time.</summary>
    public double Progress(long stepsPerChain)
    {
        if (_options.MaxStepsPerChain is { } maxSteps)
        {
            return Math.Clamp((double)stepsPerChain / maxSteps, 0, 1);
        }

        if (_options.TimeBudget is { } budget)
        {
            return Math.Clamp(Elapsed / budget, 0, 1);
        }

        return 0;
    }

    public bool ShouldStop(long stepsPerChain, double bestEnergy, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested || bestEnergy <= _options.TargetEnergy)
        {
            return true;
        }

        if (_options.MaxStepsPerChain is { } maxSteps && stepsPerChain >= maxSteps)
        {
            return true;
        }

        return _options.TimeBudget is { } budget && Elapsed >= budget;
    }

    public void Record(double bestEnergy)
    {
        if (_trace.Count == 0 || bestEnergy < _trace[^1].BestEnergy)
        {
            _trace.Add(new TracePoint(Elapsed, bestEnergy));
        }

        _options.Progress?.Report(new TracePoint(Elapsed, _trace[^1].BestEnergy));
    }
}
