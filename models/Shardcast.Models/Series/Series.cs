namespace Shardcast.Models.Series;

/// <summary>
/// One observed series: timestamps (Unix seconds, non-decreasing) and values, in time order.
/// Rows are used as they are: a series with gaps keeps its gaps, as the backtest protocol asks.
/// </summary>
public sealed class TimeSeries
{
    public TimeSeries(string name, double[] timestamps, double[] values)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(values);
        if (timestamps.Length != values.Length)
        {
            throw new ArgumentException($"Series '{name}': {timestamps.Length} timestamps but {values.Length} values.", nameof(values));
        }

        Name = name;
        Timestamps = timestamps;
        Values = values;
    }

    public string Name { get; }

    public double[] Timestamps { get; }

    public double[] Values { get; }

    public int Length => Values.Length;

    /// <summary>
    /// The times of <paramref name="length"/> evenly spaced points whose last is at <paramref name="end"/>: how a series
    /// sent as values, a step and an end (a cluster file's history, the socket's series) is laid on the clock.
    /// </summary>
    public static double[] RegularTimestamps(int length, double stepSeconds, double end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var timestamps = new double[length];
        for (int t = 0; t < length; t++)
        {
            timestamps[t] = end - ((length - 1 - t) * stepSeconds);
        }

        return timestamps;
    }

    /// <summary>The first <paramref name="count"/> points, sharing nothing with this series.</summary>
    public TimeSeries Head(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length);
        return new TimeSeries(Name, Timestamps[..count], Values[..count]);
    }

    /// <summary>
    /// The most common positive difference between consecutive timestamps (the series' step); ties go to the
    /// smaller step. One point, or no positive difference, has no step.
    /// </summary>
    public double StepSeconds()
    {
        var counts = new Dictionary<double, int>();
        for (int i = 1; i < Timestamps.Length; i++)
        {
            double d = Timestamps[i] - Timestamps[i - 1];
            if (d > 0)
            {
                counts[d] = counts.GetValueOrDefault(d) + 1;
            }
        }

        if (counts.Count == 0)
        {
            throw new InvalidOperationException($"Series '{Name}' has no positive step between timestamps.");
        }

        return counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First().Key;
    }

    /// <summary>Mean absolute one-step difference of the values: MASE's scale. Zero for a flat or one-point series.</summary>
    public static double MeanAbsoluteDifference(ReadOnlySpan<double> values)
    {
        if (values.Length < 2)
        {
            return 0;
        }

        double sum = 0;
        for (int i = 1; i < values.Length; i++)
        {
            sum += Math.Abs(values[i] - values[i - 1]);
        }

        return sum / (values.Length - 1);
    }
}
