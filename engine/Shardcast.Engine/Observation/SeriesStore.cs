namespace Shardcast.Engine.Observation;

/// <summary>
/// Load series received as samples (the socket's `ingest`), kept in memory up to a total number of points (a series that
/// would pass it is refused, not truncated). Thread-safe; forecasts read a copy.
/// </summary>
public sealed class SeriesStore(long maxPoints)
{
    private readonly Dictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
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

    /// <summary>Appends values to a series (creating it with its step); returns its length after.</summary>
    public int Append(string id, double stepSeconds, double? end, double[] values)
    {
        lock (_lock)
        {
            if (_points + values.Length > maxPoints)
            {
                throw new SeriesStoreException(SeriesStoreRefusal.LimitReached, $"storing {values.Length} more points would pass the store's limit of {maxPoints}");
            }

            if (!_series.TryGetValue(id, out var series))
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
            _points += values.Length;
            return series.Values.Count;
        }
    }

    /// <summary>A copy of a stored series (step, end, values), or null.</summary>
    public (double StepSeconds, double End, double[] Values)? Get(string id)
    {
        lock (_lock)
        {
            return _series.TryGetValue(id, out var s) ? (s.StepSeconds, s.End, s.Values.ToArray()) : null;
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
    }
}
