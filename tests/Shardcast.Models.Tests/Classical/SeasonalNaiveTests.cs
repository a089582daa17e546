using Shardcast.Models.Classical;

namespace Shardcast.Models.Tests.Classical;

public class SeasonalNaiveTests
{
    [Theory]
    [InlineData(300, 576, 288)]
    [InlineData(300, 575, 1)]
    [InlineData(1800, 100, 48)]
    [InlineData(1800, 95, 1)]
    [InlineData(1e-320, 300, 1)] // a day of more points than an int holds (the socket took such a step and crashed)
    [InlineData(1e-5, 300, 1)]
    [InlineData(86_400 / 1e9, 2_000_000_000, 1_000_000_000)]
    public void SeasonFor_IsOneDayOfPoints_WhenTwoDaysAreThere(double step, int length, int season)
    {
        Assert.Equal(season, SeasonalNaive.SeasonFor(step, length));
    }

    [Fact]
    public void Forecast_RepeatsTheLastSeason_AndShiftsQuantilesByItsOwnErrors()
    {
        // Season 3; errors y[i] - y[i-3] over the series are 1 at every i (a trend of 1 per season).
        double[] series = [1, 5, 9, 2, 6, 10, 3, 7, 11];
        var q = SeasonalNaive.Forecast(series, 3, 4, [0.1, 0.5, 0.9]);

        // Step h: base y[t + h - 1 - 3 * ceil(h / 3)]; t = 9, so h = 1..3 -> y[6..8], h = 4 -> y[6] (two seasons back).
        Assert.Equal([4, 8, 12, 5], q[1]);
        Assert.Equal(q[1], q[0]);
        Assert.Equal(q[1], q[2]);
    }

    [Theory]
    [InlineData(new[] { 10.0, 20 }, new[] { 20.0, 20, 20 })]
    [InlineData(new[] { 10.0, 20, 30 }, new[] { 40.0, 40, 40 })]
    [InlineData(new[] { 10.0, 20, 30, 40 }, new[] { 50.0, 60, 60 })]
    [InlineData(new[] { 7.0 }, new[] { 7.0, 7, 7 })]
    public void Forecast_OfAShortSeries_ShiftsEveryStepAlike(double[] series, double[] expected)
    {
        // One difference is one jump, not a distribution: [10, 20] is not shifted at all (it once forecast 30, 20, 20);
        // from two differences on, a step takes its own lag's errors, or those of the longest lag that has two
        // ([10, 20, 30, 40]: step 3 has one difference of lag 3, so it takes lag 2's, +20 on the same base as step 2).
        var forecast = SeasonalNaive.Forecast(series, 1, 3, [0.5]);
        Assert.Equal(expected, forecast[0]);
    }

    [Fact]
    public void Forecast_QuantilesInterpolateLinearly()
    {
        // Plain naive (season 1): errors of one step are 1, -1, 2, -2 -> sorted -2, -1, 1, 2.
        double[] series = [0, 1, 0, 2, 0];
        var q = SeasonalNaive.Forecast(series, 1, 1, [0.1, 0.5, 0.9]);

        // Type-7 quantiles of (-2, -1, 1, 2): 0.1 -> -1.7, 0.5 -> 0, 0.9 -> 1.7; the base is the last value, 0.
        Assert.Equal(-1.7, q[0][0], 1e-12);
        Assert.Equal(0, q[1][0], 1e-12);
        Assert.Equal(1.7, q[2][0], 1e-12);
    }

    [Fact]
    public void Forecast_RefusesQuantilesOutsideTheOpenInterval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SeasonalNaive.Forecast([1, 2, 3], 1, 1, [1.0]));
        Assert.Throws<ArgumentException>(() => SeasonalNaive.Forecast([], 1, 1, [0.5]));
    }
}
