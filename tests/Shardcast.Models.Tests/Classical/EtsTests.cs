using Shardcast.Models.Classical;
using Shardcast.Models.Optimisation;
using Shardcast.Models.Series;
using Shardcast.Models.Tests.Backtesting;

namespace Shardcast.Models.Tests.Classical;

public class EtsTests
{
    [Fact]
    public void Nelder_mead_finds_the_minimum_of_rosenbrock()
    {
        var result = NelderMead.Minimise(x => (100 * Math.Pow(x[1] - (x[0] * x[0]), 2)) + Math.Pow(1 - x[0], 2), [-1.2, 1], 0.5, 5000, 1e-14);
        Assert.Equal(1, result.Point[0], 3);
        Assert.Equal(1, result.Point[1], 3);
    }

    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(0.975, 1.959964)]
    [InlineData(0.1, -1.281552)]
    [InlineData(0.001, -3.090232)]
    public void Normal_quantiles_are_exact_to_six_places(double p, double z) => Assert.Equal(z, Normal.Quantile(p), 5);

    [Fact]
    public void Simple_exponential_smoothing_recovers_its_smoothing_parameter()
    {
        // Simulate ETS(A,N,N) with alpha 0.3: level follows a random walk fed by a fraction of the errors.
        var random = new Random(11);
        int n = 3000;
        var y = new double[n];
        double level = 50;
        for (int i = 0; i < n; i++)
        {
            double e = Gaussian(random);
            y[i] = level + e;
            level += 0.3 * e;
        }

        var fit = Ets.Fit(y, 1, new EtsSpec(EtsTrend.None, EtsSeason.None));
        Assert.InRange(fit.Alpha, 0.25, 0.35);
        Assert.InRange(fit.Variance, 0.9, 1.1);
    }

    [Fact]
    public void AICc_chooses_a_seasonal_model_for_seasonal_data_and_forecasts_the_cycle()
    {
        var series = Synthetic.Daily("s", days: 10, stepMinutes: 60, seed: 5, noise: 0.2);
        var training = series.Head(200);
        var fit = Ets.FitBest(training.Values, 24);
        Assert.NotEqual(EtsSeason.None, fit.Spec.Season);
        var forecast = new EtsModel().Open(training).Forecast(24, [0.1, 0.5, 0.9]);
        for (int h = 0; h < 24; h++)
        {
            Assert.InRange(series.Values[200 + h] - forecast[1][h], -0.6, 0.6);
            Assert.True(forecast[0][h] <= forecast[1][h] && forecast[1][h] <= forecast[2][h]);
        }
    }

    [Fact]
    public void A_season_is_only_offered_with_two_full_seasons_and_multiplicative_only_on_positive_data()
    {
        Assert.DoesNotContain(Ets.Candidates(new double[47], 24), s => s.Season != EtsSeason.None);
        var positive = Enumerable.Range(1, 48).Select(i => (double)i).ToArray();
        Assert.Contains(Ets.Candidates(positive, 24), s => s.Season == EtsSeason.Multiplicative);
        positive[3] = 0;
        Assert.DoesNotContain(Ets.Candidates(positive, 24), s => s.Season == EtsSeason.Multiplicative);
        Assert.Equal(9, Ets.Candidates(Enumerable.Range(1, 48).Select(i => (double)i).ToArray(), 24).Count);
    }

    [Fact]
    public void A_damped_trend_flattens_where_a_linear_one_keeps_climbing()
    {
        var y = Enumerable.Range(0, 200).Select(i => (double)i + (0.5 * Math.Sin(i))).ToArray();
        var linear = new EtsState(Ets.Fit(y, 1, new EtsSpec(EtsTrend.Additive, EtsSeason.None)));
        var damped = new EtsState(Ets.Fit(y, 1, new EtsSpec(EtsTrend.Damped, EtsSeason.None)));
        foreach (double v in y)
        {
            linear.Update(v);
            damped.Update(v);
        }

        Assert.True(linear.Point(100) - linear.Point(50) > damped.Point(100) - damped.Point(50));
        Assert.InRange(linear.Point(1), 198, 202);
    }

    [Fact]
    public void Intervals_widen_with_the_horizon()
    {
        var random = new Random(3);
        var walk = new double[500];
        for (int i = 1; i < walk.Length; i++)
        {
            walk[i] = walk[i - 1] + Gaussian(random);
        }

        var history = new TimeSeries("w", [.. Enumerable.Range(0, 500).Select(i => i * 3600.0)], walk);
        var f = new EtsModel().Open(history).Forecast(12, [0.1, 0.9]);
        Assert.True(f[1][11] - f[0][11] > f[1][0] - f[0][0]);
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
