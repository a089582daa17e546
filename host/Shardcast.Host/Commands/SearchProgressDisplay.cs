using System.Globalization;
using Shardcast.Kernels;
using Spectre.Console;

namespace Shardcast.Host.Commands;

/// <summary>
/// A plan's search as it goes: a live bar of the time budget with the best energy on a terminal; where standard
/// error is redirected, a line every few seconds, so a short plan prints nothing and a ten-minute one shows it is alive.
/// </summary>
internal static class SearchProgressDisplay
{
    /// <summary>Time between progress lines when standard error is not a terminal.</summary>
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="search"/> with a progress reporter suited to <paramref name="error"/>, timed by <paramref name="clock"/>.</summary>
    public static T Run<T>(TextWriter error, TimeSpan? budget, TimeProvider clock, Func<IProgress<TracePoint>, T> search)
    {
        if (!ErrorConsole.IsLive(error))
        {
            return search(new LineProgress(error, budget, LineInterval, clock));
        }

        T result = default!;
        var console = ErrorConsole.Create();
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("searching", maxValue: budget?.TotalMilliseconds ?? 1);
                task.IsIndeterminate = budget is null;
                result = search(new BarProgress(task, budget, clock));
                task.Value = task.MaxValue;
            });
        return result;
    }

    public static string Describe(TimeSpan elapsed, TimeSpan? budget, double bestEnergy) => string.Create(
        CultureInfo.InvariantCulture,
        $"searching: {elapsed.TotalSeconds:0.0} s{(budget is { } b ? $" of {b.TotalSeconds:0.#} s" : string.Empty)}, best energy {(Math.Abs(bestEnergy) >= 1e6 ? bestEnergy.ToString("N0", CultureInfo.InvariantCulture) : bestEnergy.ToString("G6", CultureInfo.InvariantCulture))}");

    /// <summary>A line at most every <c>interval</c>, timed from the first report.</summary>
    internal sealed class LineProgress(TextWriter error, TimeSpan? budget, TimeSpan interval, TimeProvider clock) : IProgress<TracePoint>
    {
        private readonly SearchTime _clock = new(clock);
        private TimeSpan _last;

        public void Report(TracePoint value)
        {
            var elapsed = _clock.Elapsed;
            if (elapsed - _last < interval)
            {
                return;
            }

            _last = elapsed;
            error.WriteLine(Describe(elapsed, budget, value.BestEnergy));
        }
    }

    private sealed class BarProgress(ProgressTask task, TimeSpan? budget, TimeProvider clock) : IProgress<TracePoint>
    {
        private readonly SearchTime _clock = new(clock);

        public void Report(TracePoint value)
        {
            var elapsed = _clock.Elapsed;
            if (budget is not null)
            {
                task.Value = Math.Min(elapsed.TotalMilliseconds, task.MaxValue);
            }

            task.Description = Markup.Escape(Describe(elapsed, budget, value.BestEnergy));
        }
    }

    /// <summary>Time since the search's first report: building the problem before it is not the search's budget.</summary>
    private sealed class SearchTime(TimeProvider clock)
    {
        private long? _start;

        public TimeSpan Elapsed => clock.GetElapsedTime(_start ??= clock.GetTimestamp());
    }
}
