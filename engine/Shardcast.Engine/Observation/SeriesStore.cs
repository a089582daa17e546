namespace Shardcast.Engine.Observation;

/// <summary>
/// Load series received as samples (the socket's `ingest`), kept in memory up to a total number of points (samples that
/// would pass it are refused, not truncated) and, per series, its newest <c>maxSeriesPoints</c> (older ones are
/// dropped as new ones arrive, so a series fed every step for months keeps being fed). Thread-safe; forecasts read a
/// copy, with the position of its first value in the series as ingested (<see cref="StoredSeriesCopy.Start"/>).
/// </summary>
public sealed class SeriesStore(long maxPoints, int maxSeriesPoints = int.MaxValue)
{
    private readonly Dictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly int _maxSeriesPoints = maxSeriesPoints > 0 ? maxSeriesPoints : throw new ArgumentOutOfRangeException(nameof(maxSeriesPoints), maxSeriesPoints, "a series keeps at least one point");
    private long _points;

    public long Points
    {
        get
        {
            lock (_lock)
            {
                return _points;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _series.Count;
            }
        }
    }

    /// <summary>Appends values to a series (creating it with its step); returns its length after, counting the points ingested, dropped ones included (positions stay those of the series as sent).</summary>
    public int Append(string id, double stepSeconds, double? end, double[] values)
    {
        lock (_lock)
        {
            _series.TryGetValue(id, out var series);
            int kept = series?.Values.Count ?? 0;
            long growth = Math.Min((long)kept + values.Length, _maxSeriesPoints) - kept;
            if (growth > 0 && _points + growth > maxPoints)
            {
                throw new SeriesStoreException(SeriesStoreRefusal.LimitReached, $"storing {values.Length} more points would pass the store's limit of {maxPoints}");
            }

            if (series is null)
            {
                series = new StoredSeries(stepSeconds);
                _series[id] = series;
            }
            else if (Math.Abs(series.StepSeconds - stepSeconds) > 1e-9 * stepSeconds)
            {
                throw new SeriesStoreException(SeriesStoreRefusal.StepMismatch, $"series '{id}' was ingested at {series.StepSeconds} s steps, found {stepSeconds}");
            }

            series.Values.AddRange(values);
            series.End = end ?? series.End + (values.Length * stepSeconds);
            int excess = series.Values.Count - _maxSeriesPoints;
            if (excess > 0)
            {
                series.Values.RemoveRange(0, excess);
                series.Start += excess;
            }

            _points += growth;
            return (int)Math.Min(int.MaxValue, series.Start + series.Values.Count);
        }
    }

    /// <summary>A copy of a stored series, or null.</summary>
    public StoredSeriesCopy? Get(string id)
    {
        lock (_lock)
        {
            return _series.TryGetValue(id, out var s) ? new StoredSeriesCopy(s.StepSeconds, s.End, s.Values.ToArray(), s.Start) : null;
        }
    }

    /// <summary>
    /// Copies of the newest <paramref name="maxPoints"/> values of up to <paramref name="maxSeries"/> series, the longest
    /// first (ties by id): what a model is fine-tuned on.
    /// </summary>
    public IReadOnlyList<(string Id, double StepSeconds, double End, double[] Values)> Newest(int maxSeries, int maxPoints)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSeries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPoints);
        lock (_lock)
        {
            return [.. _series.OrderByDescending(kv => kv.Value.Values.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(maxSeries)
                .Select(kv => (kv.Key, kv.Value.StepSeconds, kv.Value.End, kv.Value.Values.Count > maxPoints ? kv.Value.Values[^maxPoints..].ToArray() : kv.Value.Values.ToArray()))];
        }
    }

    private sealed class StoredSeries(double stepSeconds)
    {
        public double StepSeconds { get; } = stepSeconds;

        public List<double> Values { get; } = [];

        public double End { get; set; }

        /// <summary>Points dropped from its front so far: the position of its first kept value in the series as ingested.</summary>
        public long Start { get; set; }
    }
}

/// <summary>A copy of a stored series: its step, the end of its last value, the values kept, and the position of the first of them in the series as ingested (0 until older values were dropped).</summary>
public readonly record struct StoredSeriesCopy(double StepSeconds, double End, double[] Values, long Start);
