using Shardcast.Models.Classical;
using Shardcast.Models.Ensemble;
using Shardcast.Models.Events;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Neural;
using Shardcast.Models.Series;
using Xunit.Abstractions;

namespace Shardcast.Models.Tests.Events;

public class EventCalendarTests(ITestOutputHelper output)
{
    private const double Hour = 3600;
    private const double Day = 24 * Hour;
    private const double Origin = 1_767_225_600; // 2026-01-01 00:00 UTC

    /// <summary>
    /// Hourly load over 40 days: a daily cycle, a slow trend and noise, and a sale every third day from 12:00 to 17:00
    /// that multiplies it by the effect (each sale's own, log-normally spread around it). Returns the series and the sales.
    /// </summary>
    private static (TimeSeries Series, List<KnownEvent> Sales) RecurringSales(int seed, double effect = 3, double spread = 0)
    {
        var random = new Random(seed);
        int n = 40 * 24;
        var sales = new List<KnownEvent>();
        var effects = new List<double>();
        for (int day = 2; day < 40; day += 3)
        {
            sales.Add(new KnownEvent("sale", Origin + (day * Day) + (12 * Hour), Origin + (day * Day) + (17 * Hour)));
            effects.Add(effect * Math.Exp(spread * Gaussian(random)));
        }

        var t = new double[n];
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            t[i] = Origin + (i * Hour);
            double baseLoad = 100 + (0.05 * i) + (40 * Math.Sin(2 * Math.PI * (i % 24) / 24));
            int sale = sales.FindIndex(s => s.Covers(t[i]));
            double factor = sale >= 0 ? effects[sale] : 1;
            v[i] = (baseLoad * factor) + (4 * Gaussian(random));
        }

        return (new TimeSeries("shop", t, v), sales);
    }

    public static TheoryData<string> Models => [ModelNames.SeasonalNaive, ModelNames.Ets, ModelNames.Auto];

    private static IForecastModel Create(string name) => name switch
    {
        ModelNames.SeasonalNaive => new SeasonalNaiveModel(),
        ModelNames.Ets => new EtsModel(),
        _ => new AutoModel([new LstmModel(LstmDefaultModel.Get().Network), new EtsModel(), new SeasonalNaiveModel()]),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Recurring_tagged_sales_cut_the_error_inside_their_windows(string modelName)
    {
        // Sales triple the load give or take a fifth: no two alike, as real ones are not.
        var (series, sales) = RecurringSales(seed: 5, spread: 0.2);
        var model = Create(modelName);
        double withoutInside = 0, withInside = 0, withoutOutside = 0, withOutside = 0;
        int inside = 0, outside = 0;

        // Every sale of the last twelve days, forecast from three hours before it starts, twelve hours ahead, at the median.
        foreach (var sale in sales.Where(s => s.Start >= Origin + (28 * Day)))
        {
            int cut = (int)((sale.Start - Origin) / Hour) - 3;
            var history = series.Head(cut);
            var plain = FleetForecast.OpenOrFallBack(model, history).Forecaster.Forecast(12, [0.5])[0];
            var known = KnownEvents.Open(model, history, sales).Forecaster.Forecast(12, [0.5])[0];
            for (int h = 0; h < 12; h++)
            {
                double actual = series.Values[cut + h];
                if (sale.Covers(series.Timestamps[cut + h]))
                {
                    withoutInside += Math.Abs(actual - plain[h]);
                    withInside += Math.Abs(actual - known[h]);
                    inside++;
                }
                else
                {
                    withoutOutside += Math.Abs(actual - plain[h]);
                    withOutside += Math.Abs(actual - known[h]);
                    outside++;
                }
            }
        }

        output.WriteLine($"{modelName}: mean absolute error inside the sales {withInside / inside:F1} with events, {withoutInside / inside:F1} without; outside {withOutside / outside:F1} and {withoutOutside / outside:F1}");
        Assert.Equal(20, inside);
        // The sale triples a load of about 100-140: without the event every hour inside misses by some 200.
        Assert.True(withInside < 0.25 * withoutInside, $"{modelName}: mean error inside sales {withInside / inside:F1} with events, {withoutInside / inside:F1} without");
        // Outside the windows the model no longer learns (nor, seasonal naive, repeats a day later) the spikes.
        Assert.True(withOutside <= withoutOutside * 1.05, $"{modelName}: mean error outside sales {withOutside / outside:F1} with events, {withoutOutside / outside:F1} without");
    }

    [Fact]
    public void A_tag_learns_the_median_effect_of_its_earlier_occurrences()
    {
        var (series, sales) = RecurringSales(seed: 9, effect: 2.5);
        var calendar = new EventCalendar(series, sales);
        var learned = calendar.Learned("sale");
        Assert.NotNull(learned);
        Assert.Equal(13, learned.Value.Occurrences);
        Assert.Equal(2.5, learned.Value.Multiplier, 0.1);

        // The deflated history has no sale left in it: an hour inside a sale sits at its neighbours' level.
        int noon = (int)((sales[5].Start - Origin) / Hour) + 2;
        Assert.Equal(series.Values[noon - 24], calendar.Deflated.Values[noon], 15.0);
    }

    [Fact]
    public void An_event_with_no_past_takes_its_given_multiplier_and_one_with_neither_is_left_alone()
    {
        var (series, _) = RecurringSales(seed: 3, effect: 1);
        double end = series.Timestamps[^1];
        var launch = new KnownEvent("launch", end + (3 * Hour), end + (6 * Hour), 2);
        var mystery = new KnownEvent("mystery", end + (8 * Hour), end + (10 * Hour));
        var model = new SeasonalNaiveModel();
        var plain = model.Open(series).Forecast(12, [0.1, 0.9]);
        var (forecaster, _, calendar) = KnownEvents.Open(model, series, [launch, mystery]);
        var known = forecaster.Forecast(12, [0.1, 0.9]);
        for (int h = 0; h < 12; h++)
        {
            double expected = h + 1 is >= 3 and < 6 ? 2 : 1;
            Assert.Equal(plain[0][h] * expected, known[0][h], 9);
            Assert.Equal(plain[1][h] * expected, known[1][h], 9);
        }

        var effects = calendar!.EffectsAhead(12);
        Assert.Equal([new EventEffect("launch", 2, "given", 0), new EventEffect("mystery", 1, "unknown", 0)], effects);
        Assert.Equal("launch x2 given on 1 series, mystery x1 unknown on 1 series", EventEffects.Summarise([effects]));
    }

    [Fact]
    public void Observations_inside_an_event_are_divided_out_as_they_arrive()
    {
        // Opened before a sale and fed through it one hour at a time, the forecaster ends where one opened after it does.
        var (series, sales) = RecurringSales(seed: 4);
        int start = (int)((sales[^2].Start - Origin) / Hour) - 2;
        var model = new SeasonalNaiveModel();
        var streamed = KnownEvents.Open(model, series.Head(start), sales).Forecaster;
        for (int i = start; i < start + 10; i++)
        {
            streamed.Observe(series.Timestamps[i], series.Values[i]);
        }

        var direct = KnownEvents.Open(model, series.Head(start + 10), sales).Forecaster;
        var a = streamed.Forecast(6, [0.5])[0];
        var b = direct.Forecast(6, [0.5])[0];
        for (int h = 0; h < 6; h++)
        {
            // The streamed one divides by the tag's median effect, the reopened one by the occurrence's own: close, not equal.
            Assert.Equal(b[h], a[h], b[h] * 0.1);
            Assert.InRange(a[h], 60, 200);
        }
    }

    [Fact]
    public void The_fleet_forecast_applies_each_series_own_events()
    {
        var (series, sales) = RecurringSales(seed: 6);
        var history = series.Head((int)((sales[^1].Start - Origin) / Hour) - 1);
        var result = FleetForecast.Forecast([history, history], ModelNames.SeasonalNaive, 8, 0.5, null, CancellationToken.None, [sales, null]);
        var single = KnownEvents.Open(new SeasonalNaiveModel(), history, sales).Forecaster.Forecast(8, [0.5])[0];
        Assert.Equal(single, result.Values[0]);
        Assert.True(result.Values[0][3] > 2 * result.Values[1][3], "the sale's hours are forecast about three times higher");
        Assert.Null(result.Effects![1]);
        Assert.Equal("learned", Assert.Single(result.Effects[0]!).Source);
    }

    [Theory]
    [InlineData("", 0, 10, null, "non-empty tag")]
    [InlineData("sale", 10, 10, null, "must be after start")]
    [InlineData("sale", 0, double.PositiveInfinity, null, "finite")]
    [InlineData("sale", 0, 10, 0.0, "multiplier must lie between")]
    public void Bad_events_are_refused_with_what_is_wrong(string tag, double start, double end, double? multiplier, string words)
    {
        var (series, _) = RecurringSales(seed: 1);
        var e = Assert.Throws<ArgumentException>(() => new EventCalendar(series, [new KnownEvent(tag, start, end, multiplier)]));
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
