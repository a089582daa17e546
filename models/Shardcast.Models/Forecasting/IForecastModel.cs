using Shardcast.Models.Series;

namespace Shardcast.Models.Forecasting;

/// <summary>
/// A forecasting model: fitted once on the training parts of a data set (a global model learns across them; a
/// local one keeps nothing here and fits each series when it is opened), then opened per series, where it
/// conditions on newer points without refitting.
/// </summary>
public interface IForecastModel
{
    /// <summary>The name used on the command line and in reports: snaive, ets, lstm, auto.</summary>
    string Name { get; }

    /// <summary>Fits on the training parts of every series of a set. Local models may do nothing here.</summary>
    void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation);

    /// <summary>A forecaster for one series, conditioned on its history so far (the history is copied, not kept).</summary>
    ISeriesForecaster Open(TimeSeries history);
}

/// <summary>One series' forecaster: advances one observation at a time and forecasts the next steps.</summary>
public interface ISeriesForecaster
{
    /// <summary>Conditions on one newer observation (after every point seen so far).</summary>
    void Observe(double timestamp, double value);

    /// <summary>Forecasts steps 1..horizon after the last observation at each quantile: result[q][h], non-decreasing in q.</summary>
    double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles);
}

/// <summary>Checks shared by every model's forecast call.</summary>
public static class ForecastArguments
{
    public static void Validate(int horizon, ReadOnlySpan<double> quantiles)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        if (quantiles.IsEmpty)
        {
            throw new ArgumentException("At least one quantile is needed.", nameof(quantiles));
        }

        foreach (double q in quantiles)
        {
            if (!(q > 0 && q < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(quantiles), q, "Quantiles lie strictly between 0 and 1.");
            }
        }
    }

    /// <summary>Sorts each horizon step's quantile values, so that crossing quantiles come out ordered (monotone rearrangement).</summary>
    public static void SortAcrossQuantiles(double[][] result, ReadOnlySpan<double> quantiles)
    {
        ArgumentNullException.ThrowIfNull(result);
        int horizon = result[0].Length;
        Span<double> column = stackalloc double[result.Length];
        Span<int> order = stackalloc int[result.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // Quantiles may be requested in any order: values are laid back in the order of the quantile levels.
        var levels = quantiles.ToArray();
        var ranks = order.ToArray();
        Array.Sort(levels, ranks);
        for (int h = 0; h < horizon; h++)
        {
            for (int q = 0; q < result.Length; q++)
            {
                column[q] = result[q][h];
            }

            column.Sort();
            for (int k = 0; k < ranks.Length; k++)
            {
                result[ranks[k]][h] = column[k];
            }
        }
    }
}
