using Shardcast.Models.Classical;
using Shardcast.Models.Series;

namespace Shardcast.Models.Neural;

/// <summary>
/// What the LSTM sees of a series, computed one observation at a time so that streaming inference never replays
/// a window. Every value input is a change measured in the series' own scale (its mean absolute step): the step
/// change, the distance from a fast and a slow moving average, the change over one season. None of them carries
/// the level, so a series whose level leaves its training range looks no different to the network (per-series
/// standardisation broke exactly there). Calendar inputs: time of day and day of week as sine and cosine.
/// The quantile head also sees, per horizon step, the seasonal-naive base relative to the last value.
/// </summary>
public sealed class LstmFeatures
{
    public const int InputSize = 8;
    public const float Clip = 10;
    private const double FastSpan = 12;
    private const double SlowSpan = 288;

    private readonly double[] _ring;
    private readonly double _scale;
    private readonly int _season;
    private readonly int _horizon;
    private double _fast;
    private double _slow;
    private long _count;

    public LstmFeatures(double scale, int season, int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(season);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        _scale = scale;
        _season = season;
        _horizon = horizon;
        _ring = new double[Math.Max(SeasonalNaive.Lag(season, horizon), season) + 1];
    }

    public double Scale => _scale;

    public int Season => _season;

    public long Count => _count;

    public double Last => _count == 0 ? throw new InvalidOperationException("No observation yet.") : _ring[(int)((_count - 1) % _ring.Length)];

    /// <summary>The scale a series is measured in: its mean absolute step, or a small fraction of its level where it is flat.</summary>
    public static double ScaleOf(ReadOnlySpan<double> values)
    {
        double scale = TimeSeries.MeanAbsoluteDifference(values);
        if (scale > 0)
        {
            return scale;
        }

        double level = 0;
        foreach (double v in values)
        {
            level = Math.Max(level, Math.Abs(v));
        }

        return Math.Max(1e-3 * level, 1e-6);
    }

    /// <summary>The features for the series as of <paramref name="history"/>, ready to stream on from its end.</summary>
    public static LstmFeatures For(TimeSeries history, int horizon)
    {
        ArgumentNullException.ThrowIfNull(history);
        return new LstmFeatures(ScaleOf(history.Values), SeasonalNaive.SeasonOf(history), horizon);
    }

    /// <summary>Takes one observation and writes its inputs (<see cref="InputSize"/> values).</summary>
    public void Push(double timestamp, double value, Span<float> inputs)
    {
        Span<float> calendar = stackalloc float[CalendarSize];
        Calendar(timestamp, calendar);
        Push(value, calendar, inputs);
    }

    public const int CalendarSize = 4;

    /// <summary>Time of day and day of week as sine and cosine: shared by every series observed at one timestamp.</summary>
    public static void Calendar(double timestamp, Span<float> calendar)
    {
        double day = Math.IEEERemainder(timestamp, 86_400) / 86_400 * 2 * Math.PI;
        double week = Math.IEEERemainder(timestamp, 7 * 86_400) / (7 * 86_400) * 2 * Math.PI;
        calendar[0] = (float)Math.Sin(day);
        calendar[1] = (float)Math.Cos(day);
        calendar[2] = (float)Math.Sin(week);
        calendar[3] = (float)Math.Cos(week);
    }

    /// <summary>Takes one observation with its calendar inputs already computed.</summary>
    public void Push(double value, ReadOnlySpan<float> calendar, Span<float> inputs)
    {
        double previous = _count == 0 ? value : Last;
        if (_count == 0)
        {
            _fast = value;
            _slow = value;
        }

        double seasonal = _season > 1 && _count >= _season ? value - _ring[(int)((_count - _season) % _ring.Length)] : 0;
        inputs[0] = Scaled(value - previous);
        inputs[1] = Scaled(value - _fast);
        inputs[2] = Scaled(value - _slow);
        inputs[3] = Scaled(seasonal);
        calendar.CopyTo(inputs[4..]);
        _fast += 2 / (FastSpan + 1) * (value - _fast);
        _slow += 2 / (SlowSpan + 1) * (value - _slow);
        _ring[(int)(_count % _ring.Length)] = value;
        _count++;
    }

    /// <summary>Per horizon step h, the seasonal-naive base y[n+h-1-m ceil(h/m)] minus the last value, in scale units.</summary>
    public void Anchors(Span<float> anchors)
    {
        double last = Last;
        for (int h = 1; h <= _horizon; h++)
        {
            long index = _count + h - 1 - SeasonalNaive.Lag(_season, h);
            anchors[h - 1] = index >= 0 ? Scaled(_ring[(int)(index % _ring.Length)] - last) : 0;
        }
    }

    /// <summary>A normalised output back in the series' units: last value plus scale times it.</summary>
    public double Denormalise(float output) => Last + (_scale * output);

    private float Scaled(double change) => (float)Math.Clamp(change / _scale, -Clip, Clip);
}
