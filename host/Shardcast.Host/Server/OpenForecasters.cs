using System.Collections.Concurrent;
using Shardcast.Models.Classical;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Host.Server;

/// <summary>
/// Forecasters kept open on ingested series, per series and model: a later `forecast` of the same series conditions
/// the open forecaster on the points ingested since (ETS's states, the LSTM's recurrent state, auto's online weights)
/// instead of fitting the whole history again, and refits once <see cref="RefitPoints"/> points arrived since the
/// last fit. A planner that asks for every partition's forecast every step then pays one fit per series per
/// <see cref="RefitPoints"/> steps, not one per step. Positions count in the series as ingested (a stored series keeps
/// its newest points and drops the oldest, <see cref="Engine.Observation.SeriesStore"/>): a kept forecaster has seen
/// the series up to a position, and the points after it are conditioned on while they are still kept; where they
/// are not, the series is fitted again.
/// </summary>
public sealed class OpenForecasters(int refitPoints = 288, int maxEntries = 100_000)
{
    private readonly ConcurrentDictionary<(string Series, string Model), Entry> _open = new();

    /// <summary>Points ingested after a fit before the model is fitted again.</summary>
    public int RefitPoints { get; } = refitPoints;

    /// <summary>Fits made (a new series, or a refit), and forecasts served by conditioning an open forecaster.</summary>
    public long Fits => Interlocked.Read(ref _fits);

    public long Reused => Interlocked.Read(ref _reused);

    private long _fits;
    private long _reused;

    /// <summary>Drops every open forecaster (the served model changed: each series is fitted again at its next forecast).</summary>
    public void Clear() => _open.Clear();

    /// <param name="start">The position of <paramref name="history"/>'s first value in the series as ingested.</param>
    public (double[][] Values, bool FellBack) Forecast(string series, string modelName, IForecastModel model, TimeSeries history, int horizon, double[] quantiles, long start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (_open.Count >= maxEntries && !_open.ContainsKey((series, modelName)))
        {
            _open.Clear();
        }

        var entry = _open.GetOrAdd((series, modelName), _ => new Entry());
        lock (entry)
        {
            long end = start + history.Length;
            bool reuse = entry.Forecaster is not null && end >= entry.Length && entry.Length >= start && end - entry.FittedLength < RefitPoints
                && !(entry.FellBack && history.Length >= Ets.MinimumObservations);
            if (reuse)
            {
                for (long t = entry.Length; t < end; t++)
                {
                    int i = (int)(t - start);
                    entry.Forecaster!.Observe(history.Timestamps[i], history.Values[i]);
                }

                Interlocked.Increment(ref _reused);
            }
            else
            {
                (entry.Forecaster, entry.FellBack) = FleetForecast.OpenOrFallBack(model, history);
                entry.FittedLength = end;
                Interlocked.Increment(ref _fits);
            }

            entry.Length = end;
            return (entry.Forecaster!.Forecast(horizon, quantiles), entry.FellBack);
        }
    }

    private sealed class Entry
    {
        public ISeriesForecaster? Forecaster;
        public bool FellBack;
        public long Length;
        public long FittedLength;
    }
}
