using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Models.Backtesting;

/// <summary>The backtest protocol (docs/forecasting.md): split, origins, horizon and quantiles, one place for all of them.</summary>
public static class BacktestProtocol
{
    public const int Horizon = 12;
    public const int OriginStride = 12;

    public static IReadOnlyList<double> Quantiles { get; } = [0.1, 0.5, 0.9];

    /// <summary>floor(7n/10): the training part's length.</summary>
    public static int TrainingLength(int length) => (int)(7L * length / 10);

    /// <summary>Origins from the end of the training part, every 12 points, while origin + H &lt;= n.</summary>
    public static IEnumerable<int> Origins(int length)
    {
        for (int origin = TrainingLength(length); origin + Horizon <= length; origin += OriginStride)
        {
            yield return origin;
        }
    }
}

/// <summary>One forecast at one origin: values[q][h] for the protocol's quantiles.</summary>
public sealed record OriginForecast(int Origin, double[][] Values);

/// <summary>One model's scores on one series (or why it was skipped).</summary>
public sealed record SeriesScore(string Series, string Model, int Origins, double Scale, double Mase, double ScaledQuantileLoss, double Coverage, string? Skipped)
{
    public bool IsSkipped => Skipped is not null;
}

/// <summary>One model's aggregate over a set: geometric means of ratios to seasonal naive, and mean coverage.</summary>
public sealed record AggregateScore(string Model, int Series, double MaseRatio, double ScaledQuantileLossRatio, double Coverage, double MeanMase, double MeanScaledQuantileLoss);

/// <summary>Per-series and aggregate scores of every model run, with the forecasts when they were asked for.</summary>
public sealed record BacktestReport(IReadOnlyList<SeriesScore> Scores, IReadOnlyList<AggregateScore> Aggregates, IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<OriginForecast>>> Forecasts);

/// <summary>Runs models through the backtest protocol (docs/forecasting.md) on a data set and scores them.</summary>
public static class Backtester
{
    /// <summary>
    /// Scores each model on each series. Seasonal naive is always scored (the aggregates are ratios to it), even
    /// when not among the models asked for; it is reported only when asked for.
    /// </summary>
    /// <param name="events">Per series (by index), the events known for it; a series with events is fitted and opened with
    /// its past occurrences divided out and forecast with their multipliers (<see cref="Events.EventCalendar"/>).</param>
    public static BacktestReport Run(
        IReadOnlyList<TimeSeries> set, IReadOnlyList<IForecastModel> models, bool keepForecasts, IProgress<string>? progress, CancellationToken cancellation,
        IReadOnlyList<IReadOnlyList<Events.KnownEvent>?>? events = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(models);
        var trainingParts = set.Select(s => s.Head(BacktestProtocol.TrainingLength(s.Length))).ToArray();
        var eventsOf = new IReadOnlyList<Events.KnownEvent>?[set.Count];
        var fitParts = (TimeSeries[])trainingParts.Clone();
        for (int i = 0; i < set.Count && events is not null; i++)
        {
            if (events[i] is { Count: > 0 } list)
            {
                eventsOf[i] = list;
                fitParts[i] = new Events.EventCalendar(trainingParts[i], list).Deflated;
            }
        }

        var all = models.Any(m => m.Name == ModelNames.SeasonalNaive) ? models : [.. models, new Classical.SeasonalNaiveModel()];
        var scores = new List<SeriesScore>();
        var forecasts = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<OriginForecast>>>();
        foreach (var model in all)
        {
            progress?.Report($"{model.Name}: fitting on {set.Count} training parts");
            model.Fit(fitParts, progress, cancellation);
            var byModel = new Dictionary<string, IReadOnlyList<OriginForecast>>();
            for (int i = 0; i < set.Count; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                var (score, perOrigin) = RunSeries(model, set[i], trainingParts[i], eventsOf[i]);
                scores.Add(score);
                if (keepForecasts)
                {
                    byModel[set[i].Name] = perOrigin;
                }
            }

            progress?.Report($"{model.Name}: scored {set.Count} series");
            forecasts[model.Name] = byModel;
        }

        var aggregates = all.Select(m => Aggregate(m.Name, scores)).ToList();
        var asked = models.Select(m => m.Name).ToHashSet();
        return new BacktestReport(
            [.. scores.Where(s => asked.Contains(s.Model))],
            [.. aggregates.Where(a => asked.Contains(a.Model))],
            forecasts.Where(kv => asked.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value));
    }

    /// <summary>Walks one series' origins: forecast at each, then observe the points up to the next.</summary>
    public static (SeriesScore Score, IReadOnlyList<OriginForecast> Forecasts) RunSeries(IForecastModel model, TimeSeries series, TimeSeries trainingPart, IReadOnlyList<Events.KnownEvent>? events = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(trainingPart);
        double scale = TimeSeries.MeanAbsoluteDifference(trainingPart.Values);
        var origins = BacktestProtocol.Origins(series.Length).ToArray();
        if (scale == 0 || origins.Length == 0)
        {
            string why = scale == 0 ? "training part has zero scale" : "no forecast origin fits";
            return (new SeriesScore(series.Name, model.Name, 0, scale, double.NaN, double.NaN, double.NaN, why), []);
        }

        var quantiles = BacktestProtocol.Quantiles.ToArray();
        var forecaster = events is { Count: > 0 } ? Events.KnownEvents.Open(model, trainingPart, events).Forecaster : model.Open(trainingPart);
        var accumulator = new ScoreAccumulator(scale, quantiles);
        var perOrigin = new List<OriginForecast>(origins.Length);
        int seen = trainingPart.Length;
        foreach (int origin in origins)
        {
            for (; seen < origin; seen++)
            {
                forecaster.Observe(series.Timestamps[seen], series.Values[seen]);
            }

            var values = forecaster.Forecast(BacktestProtocol.Horizon, quantiles);
            accumulator.Add(series.Values.AsSpan(origin, BacktestProtocol.Horizon), values);
            perOrigin.Add(new OriginForecast(origin, values));
        }

        return (accumulator.Score(series.Name, model.Name, origins.Length), perOrigin);
    }

    public static AggregateScore Aggregate(string model, IReadOnlyList<SeriesScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var naive = scores.Where(s => s.Model == ModelNames.SeasonalNaive && !s.IsSkipped).ToDictionary(s => s.Series);
        var mine = scores.Where(s => s.Model == model && !s.IsSkipped && naive.ContainsKey(s.Series)).ToList();
        if (mine.Count == 0)
        {
            return new AggregateScore(model, 0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        double logMase = 0;
        double logSql = 0;
        foreach (var s in mine)
        {
            logMase += Math.Log(s.Mase / naive[s.Series].Mase);
            logSql += Math.Log(s.ScaledQuantileLoss / naive[s.Series].ScaledQuantileLoss);
        }

        return new AggregateScore(
            model, mine.Count, Math.Exp(logMase / mine.Count), Math.Exp(logSql / mine.Count), mine.Average(s => s.Coverage),
            mine.Average(s => s.Mase), mine.Average(s => s.ScaledQuantileLoss));
    }
}

/// <summary>Sums the backtest protocol's per-series metrics over origins, steps and quantiles.</summary>
public sealed class ScoreAccumulator(double scale, double[] quantiles)
{
    private readonly int _median = IndexOf(quantiles, 0.5);
    private readonly int _low = IndexOf(quantiles, 0.1);
    private readonly int _high = IndexOf(quantiles, 0.9);
    private double _absoluteError;
    private double _quantileLoss;
    private int _points;
    private int _covered;

    public void Add(ReadOnlySpan<double> actual, double[][] forecast)
    {
        ArgumentNullException.ThrowIfNull(forecast);
        for (int h = 0; h < actual.Length; h++)
        {
            double y = actual[h];
            _absoluteError += Math.Abs(y - forecast[_median][h]);
            for (int q = 0; q < quantiles.Length; q++)
            {
                _quantileLoss += 2 * Pinball(quantiles[q], y, forecast[q][h]);
            }

            if (y >= forecast[_low][h] && y <= forecast[_high][h])
            {
                _covered++;
            }

            _points++;
        }
    }

    public SeriesScore Score(string series, string model, int origins) => new(
        series, model, origins, scale, _absoluteError / _points / scale, _quantileLoss / (_points * quantiles.Length) / scale, (double)_covered / _points, null);

    /// <summary>The pinball (quantile) loss of forecast f for actual y at level q.</summary>
    public static double Pinball(double q, double y, double f) => y >= f ? q * (y - f) : (1 - q) * (f - y);

    private static int IndexOf(double[] quantiles, double level)
    {
        int i = Array.IndexOf(quantiles, level);
        return i >= 0 ? i : throw new ArgumentException($"The scored quantiles must include {level}.", nameof(quantiles));
    }
}
