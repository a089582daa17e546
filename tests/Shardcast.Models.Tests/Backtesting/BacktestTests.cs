using Shardcast.Models.Backtesting;
using Shardcast.Models.Classical;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Models.Tests.Backtesting;

public class BacktestTests
{
    [Fact]
    public void Split_and_origins_follow_the_protocol()
    {
        Assert.Equal(70, BacktestProtocol.TrainingLength(100));
        Assert.Equal(7, BacktestProtocol.TrainingLength(11));
        // n = 100: origins 70, 82 (82 + 12 = 94 <= 100); 94 + 12 > 100.
        Assert.Equal([70, 82], BacktestProtocol.Origins(100));
        Assert.Empty(BacktestProtocol.Origins(15));
    }

    [Fact]
    public void Metrics_equal_a_hand_computation()
    {
        var accumulator = new ScoreAccumulator(2.0, [0.1, 0.5, 0.9]);
        // Two steps: y = 10 and 20; median 11 and 20; low 9 and 21 (second is outside); high 12 and 25.
        accumulator.Add([10, 20], [[9, 21], [11, 20], [12, 25]]);
        var score = accumulator.Score("s", "m", 1);
        Assert.Equal((1 + 0) / 2.0 / 2.0, score.Mase, 12);
        double pinball = (0.1 * 1) + (0.5 * 1) + (0.1 * 2) + (0.9 * 1) + 0 + (0.1 * 5);
        Assert.Equal(2 * pinball / 6 / 2.0, score.ScaledQuantileLoss, 12);
        Assert.Equal(0.5, score.Coverage);
    }

    [Fact]
    public void Seasonal_naive_in_the_backtest_is_the_reference_of_the_protocol()
    {
        var series = Synthetic.Daily("s", days: 6, stepMinutes: 60, seed: 3);
        var training = series.Head(BacktestProtocol.TrainingLength(series.Length));
        var forecaster = new SeasonalNaiveModel().Open(training);
        var direct = SeasonalNaive.Forecast(training.Values, 24, 12, [0.1, 0.5, 0.9]);
        var viaModel = forecaster.Forecast(12, [0.1, 0.5, 0.9]);
        for (int q = 0; q < 3; q++)
        {
            Assert.Equal(direct[q], viaModel[q]);
        }

        // After observing newer points the base moves on, the error quantiles stay those of the training part.
        forecaster.Observe(series.Timestamps[training.Length], series.Values[training.Length]);
        var moved = forecaster.Forecast(1, [0.5]);
        var errors = Enumerable.Range(24, training.Length - 24).Select(i => training.Values[i] - training.Values[i - 24]).Order().ToList();
        Assert.Equal(series.Values[training.Length + 1 - 24] + SeasonalNaive.EmpiricalQuantile(errors, 0.5), moved[0][0], 12);
    }

    [Fact]
    public void A_perfect_model_scores_zero_and_one_halfway_to_the_truth_scores_half_of_seasonal_naive()
    {
        // The halfway model's point errors are exactly half of seasonal naive's on every origin and step, so its MASE
        // is half on every series and the geometric mean of the ratios is 0.5: the ratio is computed, not assumed.
        var set = new[] { Synthetic.Daily("a", 8, 60, 1), Synthetic.Daily("b", 8, 60, 2) };
        var report = Backtester.Run(set, [new OracleModel(set), new HalfwayModel(set), new SeasonalNaiveModel()], keepForecasts: true, null, CancellationToken.None);
        var oracle = report.Scores.Where(s => s.Model == "oracle").ToList();
        Assert.All(oracle, s => Assert.Equal(0, s.Mase, 12));
        foreach (var naive in report.Scores.Where(s => s.Model == ModelNames.SeasonalNaive))
        {
            Assert.True(naive.Mase > 0.05, $"{naive.Series}: seasonal naive must err for the check to mean anything");
            Assert.Equal(naive.Mase / 2, report.Scores.Single(s => s.Model == "halfway" && s.Series == naive.Series).Mase, 12);
        }

        Assert.Equal(0.5, report.Aggregates.Single(a => a.Model == "halfway").MaseRatio, 12);
        Assert.Equal(0, report.Aggregates.Single(a => a.Model == "oracle").MaseRatio, 12);
        Assert.Equal(2, report.Forecasts["oracle"].Count);
    }

    [Fact]
    public void Forecast_files_hold_one_row_per_series_origin_step_and_quantile()
    {
        var set = new[] { Synthetic.Daily("a", 8, 60, 1) };
        var report = Backtester.Run(set, [new SeasonalNaiveModel()], keepForecasts: true, null, CancellationToken.None);
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            BacktestWriter.WriteForecastFiles(report, folder);
            var lines = File.ReadAllLines(Path.Combine(folder, "snaive.csv"));
            Assert.Equal("series,origin,step,quantile,value", lines[0]);
            int origins = BacktestProtocol.Origins(set[0].Length).Count();
            Assert.Equal(1 + (origins * 12 * 3), lines.Length);
            Assert.StartsWith($"a,{BacktestProtocol.TrainingLength(set[0].Length)},1,0.1,", lines[1], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_flat_training_part_is_skipped_and_reported()
    {
        var flat = new TimeSeries("flat", [.. Enumerable.Range(0, 100).Select(i => i * 300.0)], [.. Enumerable.Repeat(5.0, 100)]);
        var report = Backtester.Run([flat], [new SeasonalNaiveModel()], false, null, CancellationToken.None);
        Assert.Equal("training part has zero scale", report.Scores.Single().Skipped);
    }

    /// <summary>Knows the future: checks the scorer, not a forecaster.</summary>
    private sealed class OracleModel(IReadOnlyList<TimeSeries> truth) : IForecastModel
    {
        public string Name => "oracle";

        public void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation)
        {
        }

        public ISeriesForecaster Open(TimeSeries history) => new Forecaster(truth.Single(t => t.Name == history.Name), history.Length);

        private sealed class Forecaster(TimeSeries truth, int seen) : ISeriesForecaster
        {
            private int _seen = seen;

            public void Observe(double timestamp, double value) => _seen++;

            public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
            {
                var values = truth.Values.AsSpan(_seen, horizon).ToArray();
                return [.. Enumerable.Range(0, quantiles.Length).Select(_ => values)];
            }
        }
    }
}

/// <summary>Every quantile halfway between seasonal naive's median and the truth.</summary>
internal sealed class HalfwayModel(IReadOnlyList<TimeSeries> truth) : IForecastModel
{
    private readonly SeasonalNaiveModel _naive = new();

    public string Name => "halfway";

    public void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation) => _naive.Fit(trainingParts, progress, cancellation);

    public ISeriesForecaster Open(TimeSeries history) => new Forecaster(truth.Single(t => t.Name == history.Name), history.Length, _naive.Open(history));

    private sealed class Forecaster(TimeSeries truth, int seen, ISeriesForecaster naive) : ISeriesForecaster
    {
        private int _seen = seen;

        public void Observe(double timestamp, double value)
        {
            naive.Observe(timestamp, value);
            _seen++;
        }

        public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
        {
            double[] median = naive.Forecast(horizon, [0.5])[0];
            var values = Enumerable.Range(0, horizon).Select(h => truth.Values[_seen + h] + (0.5 * (median[h] - truth.Values[_seen + h]))).ToArray();
            return [.. Enumerable.Range(0, quantiles.Length).Select(_ => values)];
        }
    }
}

/// <summary>Synthetic load series for tests: a daily cycle, a slow drift and noise, deterministic per seed.</summary>
public static class Synthetic
{
    public static TimeSeries Daily(string name, int days, int stepMinutes, int seed, double noise = 0.3, double level = 10)
    {
        int perDay = 24 * 60 / stepMinutes;
        int n = days * perDay;
        var random = new Random(seed);
        var t = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            t[i] = 1_400_000_000 + (i * stepMinutes * 60.0);
            y[i] = level + (3 * Math.Sin(2 * Math.PI * i / perDay)) + (0.002 * i) + (noise * (random.NextDouble() - 0.5));
        }

        return new TimeSeries(name, t, y);
    }
}
