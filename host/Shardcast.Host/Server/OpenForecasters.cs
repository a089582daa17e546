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
/// <see cref="RefitPoints"/> steps, not one per step. Series are append-only, so a kept forecaster's history is
/// always a prefix of the stored one.
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

    public (double[][] Values, bool FellBack) Forecast(string series, string modelName, IForecastModel model, TimeSeries history, int horizon, double[] quantiles)
    {
        if (_open.Count >= maxEntries && !_open.ContainsKey((series, modelName)))
        {
            _open.Clear();
        }

        var entry = _open.GetOrAdd((series, modelName), _ => new Entry());
        lock (entry)
        {
            bool reuse = entry.Forecaster is not null && history.Length >= entry.Length && history.Length - entry.FittedLength < RefitPoints
                && !(entry.FellBack && history.Length >= Ets.MinimumObservations);
            if (reuse)
            {
                for (int t = entry.Length; t < history.Length; t++)
                {
                    entry.Forecaster!.Observe(history.Timestamps[t], history.Values[t]);
                }

                Interlocked.Increment(ref _reused);
            }
            else
            {
                (entry.Forecaster, entry.FellBack) = FleetForecast.OpenOrFallBack(model, history);
                entry.FittedLength = history.Length;
                Interlocked.Increment(ref _fits);
            }

            entry.Length = history.Length;
            return (entry.Forecaster!.Forecast(horizon, quantiles), entry.FellBack);
        }
    }

    private sealed class Entry
    {
        public ISeriesForecaster? Forecaster;
        public bool FellBack;
        public int Length;
        public int FittedLength;
    }
}
