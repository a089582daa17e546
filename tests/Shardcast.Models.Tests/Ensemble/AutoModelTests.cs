using Shardcast.Models.Ensemble;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;
using Shardcast.Models.Tests.Backtesting;

namespace Shardcast.Models.Tests.Ensemble;

public class AutoModelTests
{
    [Fact]
    public void Weights_follow_inverse_losses_and_sum_to_one()
    {
        var weights = new double[3];
        AutoModel.Weights([1, 2, double.NaN], weights);
        Assert.Equal(1, weights.Sum(), 12);
        Assert.Equal(0, weights[2]);
        Assert.Equal(Math.Pow(2, AutoModel.Exponent), weights[0] / weights[1], 6);

        // Extreme scales neither overflow nor lose the ordering; no score at all means equal weights.
        AutoModel.Weights([1e-300, 2e-300, 0], weights);
        Assert.Equal(1, weights[2], 12);
        AutoModel.Weights([1e300, 1e301, double.NaN], weights);
        Assert.True(weights[0] > 0.99);
        AutoModel.Weights([double.NaN, double.NaN, double.NaN], weights);
        Assert.All(weights, w => Assert.Equal(1.0 / 3, w, 12));
    }

    [Fact]
    public void The_combination_leans_on_the_model_that_forecast_the_validation_tail_best()
    {
        var series = Synthetic.Daily("s", 10, 60, 1);
        var truth = new OffsetModel("good", series, 0.1);
        var poor = new OffsetModel("poor", series, 3);
        var forecast = new AutoModel([truth, poor]).Open(series.Head(200)).Forecast(12, [0.5]);
        for (int h = 0; h < 12; h++)
        {
            // Close to the good model (0.1 off the truth), far from the average of the two (1.55 off).
            Assert.InRange(forecast[0][h] - series.Values[200 + h], 0.09, 0.2);
        }
    }

    [Fact]
    public void Weights_move_to_the_model_that_does_better_as_new_points_arrive()
    {
        var series = Synthetic.Daily("s", 40, 60, 2);
        var first = new OffsetModel("first", series, 0.2, until: 300);
        var second = new OffsetModel("second", series, 0.2, from: 300);
        var forecaster = new AutoModel([first, second]).Open(series.Head(250));
        double before = forecaster.Forecast(1, [0.5])[0][0] - series.Values[250];
        for (int i = 250; i < 900; i++)
        {
            forecaster.Observe(series.Timestamps[i], series.Values[i]);
        }

        double after = forecaster.Forecast(1, [0.5])[0][0] - series.Values[900];
        Assert.InRange(before, 0.1, 0.3);
        Assert.InRange(after, 0.1, 0.3);
    }

    /// <summary>Forecasts the truth plus an offset; with <c>from</c>/<c>until</c>, only inside that span of indices, and 5 off outside it.</summary>
    private sealed class OffsetModel(string name, TimeSeries truth, double offset, int from = 0, int until = int.MaxValue) : IForecastModel
    {
        public string Name => name;

        private TimeSeries Truth => truth;

        private double Offset => offset;

        private int From => from;

        private int Until => until;

        public void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation)
        {
        }

        public ISeriesForecaster Open(TimeSeries history) => new Forecaster(this, history.Length);

        private sealed class Forecaster(OffsetModel model, int seen) : ISeriesForecaster
        {
            private int _seen = seen;

            public void Observe(double timestamp, double value) => _seen++;

            public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
            {
                double off = _seen >= model.From && _seen < model.Until ? model.Offset : 5;
                var values = Enumerable.Range(0, horizon).Select(h => model.Truth.Values[_seen + h] + off).ToArray();
                return [.. Enumerable.Range(0, quantiles.Length).Select(_ => (double[])values.Clone())];
            }
        }
    }
}
