using Shardcast.Models.Optimisation;

namespace Shardcast.Models.Anomaly;

/// <summary>How strongly a detector's alarm stands out.</summary>
public enum AnomalySeverity
{
    /// <summary>No alarm at this observation.</summary>
    None,

    /// <summary>An alarm: the recent novelty is past the alarm level.</summary>
    Minor,

    /// <summary>An alarm far past the alarm level (see <see cref="DetectorOptions.MajorZ"/>).</summary>
    Major,
}

/// <summary>How severities are written in the CLI's JSON and on the socket.</summary>
public static class AnomalySeverityNames
{
    /// <summary>`none`, `minor` or `major`.</summary>
    public static string Name(this AnomalySeverity severity) => severity switch
    {
        AnomalySeverity.Minor => "minor",
        AnomalySeverity.Major => "major",
        _ => "none",
    };
}

/// <summary>
/// What a detector says about one observation. <see cref="Score"/> is in [0, 1]: the probability that recent novelty
/// is ordinary for this series, turned round (1 is unheard of); during the hold-off after an alarm it is capped at
/// <see cref="DetectorOptions.HoldOffCap"/> so that one event raises one alarm. <see cref="Z"/> is the same evidence
/// in standard deviations, unbounded, for ranking alarms against each other.
/// </summary>
public readonly record struct AnomalyVerdict(double Score, double Z, bool Alarm, AnomalySeverity Severity);

/// <summary>The detector's settings; the defaults are those chosen by leave-one-category-out cross-validation (docs/detect.md).</summary>
public sealed record DetectorOptions
{
    /// <summary>Points in a context: the pattern of recent values whose novelty is measured.</summary>
    public int ContextLength { get; init; } = 8;

    /// <summary>The most a context's novelty may be, in ranges of the values seen before it (one wild value would otherwise dwarf what is ordinary for long after).</summary>
    public double NoveltyCap { get; init; } = 2;

    /// <summary>Observations whose novelty is averaged into the recent evidence.</summary>
    public int ShortWindow { get; init; } = 2;

    /// <summary>Observations whose novelty makes up what is ordinary for the series: those before the short window.</summary>
    public int LongWindow { get; init; } = 1000;

    /// <summary>Earlier contexts kept to compare against (the oldest are forgotten beyond it); memory and time per observation grow with it.</summary>
    public int MaxHistory { get; init; } = 20_000;

    /// <summary>Standard deviations of recent novelty above the ordinary at which an alarm is raised (3.090232 is a 1-in-1000 tail).</summary>
    public double AlarmZ { get; init; } = 3.090232;

    /// <summary>Standard deviations at which an alarm counts as major.</summary>
    public double MajorZ { get; init; } = 6.0;

    /// <summary>Observations after an alarm during which no new alarm is raised: one event, one alarm.</summary>
    public int HoldOff { get; init; } = 75;

    /// <summary>The most a score may be during the hold-off.</summary>
    public double HoldOffCap { get; init; } = 0.5;

    /// <summary>Measured observations (those from the (context length + 2)th on) before any verdict is given: what is ordinary must be learnt first.</summary>
    public int WarmUp => ShortWindow + 20;

    /// <summary>Refuses settings that cannot work, naming the setting.</summary>
    public void Validate()
    {
        Require(ContextLength is >= 1 and <= 256, $"the context length must be 1..256 points, found {ContextLength}");
        Require(ShortWindow >= 1, $"the short window must be at least 1 observation, found {ShortWindow}");
        Require(LongWindow > ShortWindow, $"the long window ({LongWindow}) must be longer than the short window ({ShortWindow})");
        Require(double.IsFinite(NoveltyCap) && NoveltyCap > 0, $"the novelty cap must be a positive number of ranges, found {NoveltyCap}");
        Require(MaxHistory >= 2, $"the history must keep at least 2 contexts, found {MaxHistory}");
        Require(double.IsFinite(AlarmZ) && AlarmZ > 0, $"the alarm level must be a positive number of standard deviations, found {AlarmZ}");
        Require(double.IsFinite(MajorZ) && MajorZ >= AlarmZ, $"the major level ({MajorZ}) must be at least the alarm level ({AlarmZ})");
        Require(HoldOff >= 0, $"the hold-off must be 0 or more observations, found {HoldOff}");
        Require(HoldOffCap is >= 0 and <= 1, $"the hold-off cap must be in [0, 1], found {HoldOffCap}");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}

/// <summary>
/// A causal, streaming anomaly detector for one series: each observation is scored from the observations up to it.
/// <para>
/// Novelty: the last <see cref="DetectorOptions.ContextLength"/> values form a context; its novelty is the distance
/// (largest difference at any position) to the nearest earlier context, as a share of the range of the values
/// before it (capped at <see cref="DetectorOptions.NoveltyCap"/>). A repeated daily shape, however large, is not novel; a spike, a level never seen, a missing peak or a change
/// of shape is. Evidence: the mean novelty of the last <see cref="DetectorOptions.ShortWindow"/> observations,
/// in standard deviations above the mean novelty of the last <see cref="DetectorOptions.LongWindow"/> (the anomaly
/// likelihood of Numenta's HTM detector, over this novelty instead of HTM's prediction error), the long window being
/// the observations before the short one. An alarm holds off
/// further alarms for <see cref="DetectorOptions.HoldOff"/> observations.
/// </para>
/// Time per observation is linear in the history kept (early abandoning makes most comparisons a few values long);
/// memory is the history kept. Not thread-safe: one detector per series.
/// </summary>
public sealed class ContextNoveltyDetector
{
    private readonly DetectorOptions _options;
    private readonly double[] _values;      // ring of raw values, MaxHistory + ContextLength long
    private readonly double[] _novelty;     // ring of novelty, LongWindow + ShortWindow + 1 long
    private readonly double[] _current;
    private long _count;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;
    private double _longSum;
    private double _longSumSquares;
    private int _holdOffLeft;

    public ContextNoveltyDetector(DetectorOptions? options = null)
    {
        _options = options ?? new DetectorOptions();
        _options.Validate();
        _values = new double[_options.MaxHistory + _options.ContextLength];
        _novelty = new double[_options.LongWindow + _options.ShortWindow + 1];
        _current = new double[_options.ContextLength];
    }

    public DetectorOptions Options => _options;

    /// <summary>The first observation with a context ending two or more observations before it.</summary>
    private long FirstMeasured => _options.ContextLength + 1;

    /// <summary>Observations seen so far.</summary>
    public long Count => _count;

    /// <summary>Scores the next observation, then remembers it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
    public AnomalyVerdict Observe(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"observation {_count + 1} is not a finite number");
        }

        long t = _count;
        _values[t % _values.Length] = value;
        double n = ContextNovelty(t);
        _min = Math.Min(_min, value);
        _max = Math.Max(_max, value);
        _count++;

        // Novelty is measured from the first observation with an earlier context to compare against; before it there
        // is nothing to say, and zeros would only make the ordinary look more varied than it is.
        long measured = t - FirstMeasured;
        if (measured < 0)
        {
            return default;
        }

        RememberNovelty(measured, n);
        return Judge(measured);
    }

    /// <summary>
    /// Distance of the context ending at <paramref name="t"/> to its nearest predecessor, as a share of the range of
    /// the values before it, capped. The range before, not with, the new value: a burst in a noisy series, where
    /// nearest contexts are already most of the range apart, still stands out by how far it goes past what was seen.
    /// </summary>
    private double ContextNovelty(long t)
    {
        int m = _options.ContextLength;
        double range = _max - _min;
        if (range <= 0 && t > 0)
        {
            // Nothing but one value so far: any other value is as novel as can be.
            return _values[t % _values.Length] == _min ? 0 : _options.NoveltyCap;
        }

        // Only contexts ending two or more observations back: the one a step back overlaps this one almost wholly,
        // and so would make a slow drift look ordinary.
        long lastStart = t - m - 1;
        long firstStart = Math.Max(0, t + 1 - _values.Length);
        if (range <= 0 || lastStart < firstStart)
        {
            return 0;
        }

        for (int k = 0; k < m; k++)
        {
            _current[k] = _values[(t - m + 1 + k) % _values.Length];
        }

        double best = double.PositiveInfinity;
        for (long start = firstStart; start <= lastStart; start++)
        {
            double distance = 0;
            for (int k = 0; k < m && distance < best; k++)
            {
                distance = Math.Max(distance, Math.Abs(_values[(start + k) % _values.Length] - _current[k]));
            }

            if (distance < best)
            {
                best = distance;
                if (best == 0)
                {
                    break;
                }
            }
        }

        return Math.Min(best / range, _options.NoveltyCap);
    }

    /// <summary>
    /// Records the <paramref name="j"/>th measured novelty. The long window is the <see cref="DetectorOptions.LongWindow"/>
    /// novelties before the short window, so the value leaving the short window enters it and the oldest leaves.
    /// </summary>
    private void RememberNovelty(long j, double n)
    {
        int length = _novelty.Length, s = _options.ShortWindow, l = _options.LongWindow;
        _novelty[j % length] = n;
        if (j - s >= 0)
        {
            double entering = _novelty[(j - s) % length];
            _longSum += entering;
            _longSumSquares += entering * entering;
        }

        if (j - s - l >= 0)
        {
            double leaving = _novelty[(j - s - l) % length];
            _longSum -= leaving;
            _longSumSquares -= leaving * leaving;
        }
    }

    /// <summary>
    /// The recent novelty against the ordinary. The ordinary is the long window before the recent evidence, not
    /// including it: included, a burst could never stand more than about the square root of the window's length in
    /// standard deviations above it, and a detector young in its history could not see a flash crowd at all.
    /// </summary>
    private AnomalyVerdict Judge(long j)
    {
        if (j < _options.WarmUp)
        {
            return default;
        }

        int s = _options.ShortWindow;
        double recent = 0;
        for (int k = 0; k < s; k++)
        {
            recent += _novelty[(j - k) % _novelty.Length];
        }

        recent /= s;
        long inLong = Math.Min(j - s + 1, _options.LongWindow);
        double mean = _longSum / inLong;
        double variance = Math.Max(_longSumSquares / inLong - mean * mean, 0);
        double z = (recent - mean) / (Math.Sqrt(variance) + 1e-9);
        double score = Normal.Cdf(z);
        if (_holdOffLeft > 0)
        {
            _holdOffLeft--;
            return new AnomalyVerdict(Math.Min(score, _options.HoldOffCap), z, false, AnomalySeverity.None);
        }

        if (z < _options.AlarmZ)
        {
            return new AnomalyVerdict(score, z, false, AnomalySeverity.None);
        }

        _holdOffLeft = _options.HoldOff;
        return new AnomalyVerdict(score, z, true, z >= _options.MajorZ ? AnomalySeverity.Major : AnomalySeverity.Minor);
    }
}
