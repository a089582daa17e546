namespace Shardcast.Models.Classical;

/// <summary>
/// The seasonal-naive reference of the backtest protocol (docs/forecasting.md): the value one season back (for horizons past a season, the
/// value that many whole seasons back), shifted per horizon step by the empirical quantiles of its own errors
/// over the fitting span. Also the cold-start forecaster the planner uses for short series.
/// </summary>
public static class SeasonalNaive
{
    public const double SecondsPerDay = 86_400;

    /// <summary>Points in one day at the given step, when the series holds at least two days; else 1 (plain naive).</summary>
    public static int SeasonFor(double stepSeconds, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSeconds);
        // In double: a step of microseconds makes a day more points than an int holds, and 2 * day would wrap.
        double day = Math.Round(SecondsPerDay / stepSeconds);
        return day >= 1 && length >= 2 * day ? (int)day : 1;
    }

    /// <summary>The season of a series' history: one day at its step, with two days of history; else 1.</summary>
    public static int SeasonOf(Series.TimeSeries history)
    {
        ArgumentNullException.ThrowIfNull(history);
        return history.Length >= 2 ? SeasonFor(history.StepSeconds(), history.Length) : 1;
    }

    /// <summary>Lag from y[t+h-1] back to its base value: m * ceil(h/m).</summary>
    public static int Lag(int season, int step) => season * ((step + season - 1) / season);

    /// <summary>
    /// Forecasts steps 1..horizon after the end of <paramref name="series"/> at each quantile; result [q][h].
    /// Error quantiles come from the same series (a step whose own lag leaves too few takes the longest lag that has them).
    /// </summary>
    public static double[][] Forecast(ReadOnlySpan<double> series, int season, int horizon, ReadOnlySpan<double> quantiles)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(season);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        if (series.IsEmpty)
        {
            throw new ArgumentException("A forecast needs at least one observation.", nameof(series));
        }

        return new SeasonalNaiveModel.Forecaster(series.ToArray(), season).Forecast(horizon, quantiles);
    }

    /// <summary>Errors a step's quantiles need at least; one error is one jump, not a distribution.</summary>
    public const int MinimumErrors = 2;

    /// <summary>Quantile of sorted values by linear interpolation between order statistics (type 7).</summary>
    public static double EmpiricalQuantile(IReadOnlyList<double> sorted, double quantile)
    {
        if (sorted.Count == 0)
        {
            throw new ArgumentException("No values.", nameof(sorted));
        }

        double position = quantile * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        double fraction = position - below;
        return sorted[below] + (fraction * (sorted[above] - sorted[below]));
    }
}
