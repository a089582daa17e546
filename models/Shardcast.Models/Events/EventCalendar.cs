using Shardcast.Models.Classical;
using Shardcast.Models.Series;

namespace Shardcast.Models.Events;

/// <summary>
/// Known events applied to one series as multiplicative interventions. Each earlier occurrence of an event in the
/// history is measured against what the series did at the same time of day on the nearest days outside every event
/// (or, without a daily season, the level just before it): the ratio of the sums is that occurrence's effect. A tag's
/// learned multiplier is the median of its occurrences' effects. The model is then given the history with every
/// occurrence divided by its own effect (so it neither learns the spikes nor repeats them a day later), and its
/// forecast is multiplied, step by step, by the multipliers of the events covering that step: the event's own where
/// it gives one, else its tag's learned one. A step covered by several events takes the product.
/// </summary>
public sealed class EventCalendar
{
    /// <summary>Same-phase days searched on each side of an event point for its reference.</summary>
    private const int ReferenceSeasons = 7;

    /// <summary>Points of level taken before an event where the series has no daily season.</summary>
    private const int LevelPoints = 12;

    private readonly KnownEvent[] _events;
    private readonly double[] _effective;
    private readonly Dictionary<string, (double Multiplier, int Occurrences)> _learned;

    public EventCalendar(TimeSeries history, IReadOnlyList<KnownEvent> events)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            if (e.Problem() is { } problem)
            {
                throw new ArgumentException(problem, nameof(events));
            }
        }

        _events = [.. events];
        LastTime = history.Length > 0 ? history.Timestamps[^1] : 0;
        StepSeconds = history.Length >= 2 ? history.StepSeconds() : 0;
        var values = history.Values;
        var covered = new bool[history.Length];
        var ranges = new (int First, int Last)[_events.Length];
        for (int k = 0; k < _events.Length; k++)
        {
            ranges[k] = CoveredRange(history.Timestamps, _events[k]);
            for (int t = ranges[k].First; t <= ranges[k].Last; t++)
            {
                covered[t] = true;
            }
        }

        int season = history.Length >= 2 ? SeasonalNaive.SeasonOf(history) : 1;
        var measured = new double?[_events.Length];
        var byTag = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        for (int k = 0; k < _events.Length; k++)
        {
            if (ranges[k].First > ranges[k].Last)
            {
                continue;
            }

            measured[k] = MeasureEffect(values, covered, season, ranges[k].First, ranges[k].Last);
            if (measured[k] is { } effect)
            {
                if (!byTag.TryGetValue(_events[k].Tag, out var list))
                {
                    byTag[_events[k].Tag] = list = [];
                }

                list.Add(effect);
            }
        }

        _learned = byTag.ToDictionary(kv => kv.Key, kv => (Median(kv.Value), kv.Value.Count), StringComparer.Ordinal);
        _effective = new double[_events.Length];
        for (int k = 0; k < _events.Length; k++)
        {
            _effective[k] = _events[k].Multiplier ?? (_learned.TryGetValue(_events[k].Tag, out var l) ? l.Multiplier : 1);
        }

        var deflated = (double[])values.Clone();
        for (int k = 0; k < _events.Length; k++)
        {
            double divisor = measured[k] ?? _effective[k];
            for (int t = ranges[k].First; t <= ranges[k].Last; t++)
            {
                deflated[t] /= divisor;
            }
        }

        Deflated = new TimeSeries(history.Name, history.Timestamps, deflated);
    }

    /// <summary>The history with every past occurrence's effect divided out: what the model is fitted on.</summary>
    public TimeSeries Deflated { get; }

    /// <summary>The series' step (0 for a history of one point, which places no step ahead).</summary>
    public double StepSeconds { get; }

    /// <summary>The time of the history's last point.</summary>
    public double LastTime { get; }

    /// <summary>The multiplier at a time: the product of those of the events covering it (1 where none does).</summary>
    public double FactorAt(double time)
    {
        double factor = 1;
        for (int k = 0; k < _events.Length; k++)
        {
            if (_events[k].Covers(time))
            {
                factor *= _effective[k];
            }
        }

        return factor;
    }

    /// <summary>Multiplies steps 1..H after <paramref name="lastTime"/> ([q][h]) by the factors at their times.</summary>
    public void Inflate(double[][] forecast, double lastTime)
    {
        ArgumentNullException.ThrowIfNull(forecast);
        if (StepSeconds <= 0)
        {
            return;
        }

        int horizon = forecast[0].Length;
        for (int h = 0; h < horizon; h++)
        {
            double factor = FactorAt(lastTime + ((h + 1) * StepSeconds));
            if (factor != 1)
            {
                foreach (var row in forecast)
                {
                    row[h] *= factor;
                }
            }
        }
    }

    /// <summary>What each tag with an event in steps 1..H after the history does to the forecast, by tag.</summary>
    public IReadOnlyList<EventEffect> EffectsAhead(int horizon)
    {
        var effects = new List<EventEffect>();
        if (StepSeconds <= 0)
        {
            return effects;
        }

        double from = LastTime + StepSeconds, to = LastTime + (horizon * StepSeconds);
        for (int k = 0; k < _events.Length; k++)
        {
            var e = _events[k];
            bool ahead = e.End > from && e.Start <= to;
            if (!ahead || effects.Any(x => x.Tag == e.Tag))
            {
                continue;
            }

            int occurrences = _learned.TryGetValue(e.Tag, out var l) ? l.Occurrences : 0;
            string source = e.Multiplier is not null ? "given" : occurrences > 0 ? "learned" : "unknown";
            effects.Add(new EventEffect(e.Tag, _effective[k], source, occurrences));
        }

        return effects;
    }

    /// <summary>The multiplier learned for a tag from its earlier occurrences, and how many there were.</summary>
    public (double Multiplier, int Occurrences)? Learned(string tag) => _learned.TryGetValue(tag, out var l) ? l : null;

    private static (int First, int Last) CoveredRange(double[] timestamps, KnownEvent e)
    {
        int first = LowerBound(timestamps, e.Start);
        int last = LowerBound(timestamps, e.End) - 1;
        return (first, last);
    }

    /// <summary>The first index whose time is at or after <paramref name="time"/> (timestamps are non-decreasing).</summary>
    private static int LowerBound(double[] timestamps, double time)
    {
        int lo = 0, hi = timestamps.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (timestamps[mid] < time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>One occurrence's effect: its sum over what the same points' references sum to, or null where nothing can be compared.</summary>
    private static double? MeasureEffect(double[] values, bool[] covered, int season, int first, int last)
    {
        double actual = 0, reference = 0;
        double? level = null;
        for (int t = first; t <= last; t++)
        {
            double r = season > 1 ? SamePhaseReference(values, covered, season, t) : double.NaN;
            if (double.IsNaN(r))
            {
                level ??= LevelAround(values, covered, first, last, Math.Max(LevelPoints, last - first + 1));
                r = level.Value;
            }

            if (!double.IsNaN(r))
            {
                actual += values[t];
                reference += r;
            }
        }

        return reference > 0 ? Math.Clamp(actual / reference, KnownEvent.MinMultiplier, KnownEvent.MaxMultiplier) : null;
    }

    /// <summary>The mean of the nearest same-phase points outside every event, one on each side where both exist; NaN where neither does.</summary>
    private static double SamePhaseReference(double[] values, bool[] covered, int season, int t)
    {
        double sum = 0;
        int count = 0;
        foreach (int direction in (ReadOnlySpan<int>)[-1, 1])
        {
            for (int k = 1; k <= ReferenceSeasons; k++)
            {
                int s = t + (direction * k * season);
                if (s < 0 || s >= values.Length)
                {
                    break;
                }

                if (!covered[s])
                {
                    sum += values[s];
                    count++;
                    break;
                }
            }
        }

        return count > 0 ? sum / count : double.NaN;
    }

    /// <summary>The mean of up to <paramref name="points"/> uncovered points just before the occurrence, else just after it; NaN where there are none.</summary>
    private static double LevelAround(double[] values, bool[] covered, int first, int last, int points)
    {
        double sum = 0;
        int count = 0;
        for (int t = first - 1; t >= 0 && count < points; t--)
        {
            if (!covered[t])
            {
                sum += values[t];
                count++;
            }
        }

        int before = count;
        for (int t = last + 1; before == 0 && t < values.Length && count < points; t++)
        {
            if (!covered[t])
            {
                sum += values[t];
                count++;
            }
        }

        return count > 0 ? sum / count : double.NaN;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
