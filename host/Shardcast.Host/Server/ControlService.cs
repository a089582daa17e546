using Microsoft.Extensions.Logging;
using Shardcast.Control;
using Shardcast.DataPlane.Execution;

namespace Shardcast.Host.Server;

/// <summary>
/// The control loop inside `serve`, over the store the server manages (Server:StoreControl): cycles run in the
/// background from start to shutdown, each logged, the newest kept for the `control` operation, which also pauses
/// (the loop stops after its cycle; an execution it started runs on) and resumes it with its history intact.
/// </summary>
public sealed partial class ControlService : IAsyncDisposable
{
    /// <summary>Cycles kept for `control`.</summary>
    public const int Kept = 500;

    private readonly ControlLoop _loop;
    private readonly ILogger _logger;
    private readonly List<CycleReport> _reports = [];
    private readonly Lock _lock = new();
    private CancellationTokenSource? _running;
    private Task _task = Task.CompletedTask;

    internal ControlService(ManagedStore store, ControlOptions options, ILogger logger)
    {
        _loop = new ControlLoop(store, options);
        _logger = logger;
        Options = options;
    }

    public ControlOptions Options { get; }

    public double? NodeCapacity => _loop.NodeCapacity;

    public bool Running
    {
        get
        {
            lock (_lock)
            {
                return _running is not null;
            }
        }
    }

    /// <summary>The kept cycles numbered after <paramref name="since"/>.</summary>
    public IReadOnlyList<CycleReport> After(long since)
    {
        lock (_lock)
        {
            return [.. _reports.Where(r => r.Cycle > since)];
        }
    }

    /// <summary>Starts the cycles; false where they run already.</summary>
    public bool Resume()
    {
        lock (_lock)
        {
            if (_running is not null)
            {
                return false;
            }

            var running = _running = new CancellationTokenSource();
            _task = Task.Run(() => RunAsync(running.Token), CancellationToken.None);
            return true;
        }
    }

    /// <summary>Stops the cycles after the one under way; false where they were not running.</summary>
    public bool Pause()
    {
        CancellationTokenSource? running;
        lock (_lock)
        {
            running = _running;
            _running = null;
        }

        if (running is null)
        {
            return false;
        }

        running.Cancel();
        return true;
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var progress = new SynchronousProgress<CycleReport>(report =>
        {
            lock (_lock)
            {
                _reports.Add(report);
                if (_reports.Count > Kept)
                {
                    _reports.RemoveAt(0);
                }
            }

            LogCycle(_logger, report.Cycle, report.Decision, report.Trigger ?? "none", report.Anomalies.Count, report.ForecastPeak, report.PlannedPeak, report.Moves);
        });
        try
        {
            await _loop.RunAsync(null, progress, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The store may be unreachable for a while; the loop stops and says why, and `control` can resume it.
            LogLoopFailed(_logger, e.Message);
            lock (_lock)
            {
                _running = null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Pause();
        await _task.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "control cycle {Cycle}: {Decision} (planned on {Trigger}, {Anomalies} anomalies, forecast peak {Forecast:P1}, planned {Planned:P1}, {Moves} moves)")]
    private static partial void LogCycle(ILogger logger, int cycle, string decision, string trigger, int anomalies, double forecast, double planned, int moves);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the control loop stopped: {Reason}; send control with action resume to start it again")]
    private static partial void LogLoopFailed(ILogger logger, string reason);

    /// <summary>Reports at once on the loop's thread (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
