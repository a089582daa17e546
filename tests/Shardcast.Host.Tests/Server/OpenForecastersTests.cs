using Shardcast.Host.Server;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Tests.Server;

/// <summary>
/// `forecast` on ingested series keeps each series' fitted model open and conditions it on the points ingested since,
/// refitting after Server:ForecastRefitPoints: a planner asking every step pays a fit per series per that many steps.
/// </summary>
public sealed class OpenForecastersTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static double Value(int t) => 50 + (20 * Math.Sin(2 * Math.PI * t / 288)) + (3 * Math.Sin(t * 1.7));

    private static MsgPackValue Ingest(string id, int from, int count) => MsgPackValue.Map(("series", MsgPackValue.FromArray([
        MsgPackValue.Map(("id", MsgPackValue.From(id)), ("step_seconds", MsgPackValue.From(300L)), ("values", MsgPackValue.FromArray(Enumerable.Range(from, count).Select(t => MsgPackValue.From(Value(t)))))),
    ])));

    private static MsgPackValue Forecast(string id, string model) => MsgPackValue.Map(
        ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From(id)))])), ("model", MsgPackValue.From(model)), ("horizon", MsgPackValue.From(6L)),
        ("quantiles", MsgPackValue.FromArray([MsgPackValue.From(0.5), MsgPackValue.From(0.9)])));

    private static double[] Median(MsgPackValue answer) => [.. answer["forecasts"]!.Items[0]["values"]!.Items[0].Items.Select(v => v.AsDouble())];

    [Theory]
    [InlineData("ets")]
    [InlineData("auto")]
    public async Task A_series_forecast_every_step_is_fitted_once_and_then_conditioned_on_each_new_point(string model)
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Server:ForecastRefitPoints"] = "100" });
        await using var client = await server.ConnectAsync();
        await client.CallAsync("ingest", Ingest("p", 0, 600)).WaitAsync(Patience);
        int length = 600;
        for (int step = 0; step < 10; step++)
        {
            var answer = await client.CallAsync("forecast", Forecast("p", model)).WaitAsync(Patience);
            var median = Median(answer);

            // The forecast follows the newest points: each step's is near the next values, not the first fit's.
            for (int h = 0; h < median.Length; h++)
            {
                Assert.InRange(median[h], Value(length + h) - 8, Value(length + h) + 8);
            }

            await client.CallAsync("ingest", Ingest("p", length, 1)).WaitAsync(Patience);
            length++;
        }

        Assert.Equal(1, server.Server.Forecasters.Fits);
        Assert.Equal(9, server.Server.Forecasters.Reused);

        // Past the refit interval the model is fitted again; an inline series is never kept.
        await client.CallAsync("ingest", Ingest("p", length, 100)).WaitAsync(Patience);
        await client.CallAsync("forecast", Forecast("p", model)).WaitAsync(Patience);
        Assert.Equal(2, server.Server.Forecasters.Fits);
        await client.CallAsync("forecast", MsgPackValue.Map(("series", MsgPackValue.FromArray([MsgPackValue.Map(("values", MsgPackValue.FromArray(Enumerable.Range(0, 300).Select(t => MsgPackValue.From(Value(t))))), ("step_seconds", MsgPackValue.From(300L)))])), ("model", MsgPackValue.From(model)))).WaitAsync(Patience);
        Assert.Equal(2, server.Server.Forecasters.Fits);
    }

    /// <summary>
    /// A series past Server:MaxSeriesPoints drops its oldest points as new ones arrive; the forecaster kept open on it
    /// goes on conditioning on each new point (positions count in the series as ingested), and is fitted again only
    /// where the points since it last looked are no longer all kept.
    /// </summary>
    [Fact]
    public async Task A_series_that_drops_its_oldest_points_keeps_its_open_forecaster()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Server:ForecastRefitPoints"] = "100", ["Server:MaxSeriesPoints"] = "600" });
        await using var client = await server.ConnectAsync();
        var capabilities = await client.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience);
        Assert.Equal(600, capabilities["limits"]!["max_series_points"]!.Int);
        await client.CallAsync("ingest", Ingest("p", 0, 600)).WaitAsync(Patience);
        int length = 600;
        for (int step = 0; step < 10; step++)
        {
            var median = Median(await client.CallAsync("forecast", Forecast("p", "ets")).WaitAsync(Patience));
            for (int h = 0; h < median.Length; h++)
            {
                Assert.InRange(median[h], Value(length + h) - 8, Value(length + h) + 8);
            }

            var ingested = await client.CallAsync("ingest", Ingest("p", length, 1)).WaitAsync(Patience);
            length++;
            Assert.Equal(length, ingested["series"]!.Items[0]["length"]!.Int);
            Assert.Equal(600, ingested["stored_points"]!.Int);
        }

        Assert.Equal((1L, 9L), (server.Server.Forecasters.Fits, server.Server.Forecasters.Reused));
        var kept = server.Server.Series.Get("p")!.Value;
        Assert.Equal((600, 10L), (kept.Values.Length, kept.Start));

        // More new points than the series keeps: the forecaster has not seen what is kept, and is fitted again on it.
        await client.CallAsync("ingest", Ingest("p", length, 700)).WaitAsync(Patience);
        length += 700;
        var after = Median(await client.CallAsync("forecast", Forecast("p", "ets")).WaitAsync(Patience));
        Assert.Equal(2, server.Server.Forecasters.Fits);
        Assert.InRange(after[0], Value(length) - 8, Value(length) + 8);
    }

    [Fact]
    public async Task Auto_over_the_socket_beyond_the_lstms_horizon_leaves_it_out_and_says_so()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.CallAsync("ingest", Ingest("p", 0, 700)).WaitAsync(Patience);
        var near = await client.CallAsync("forecast", Forecast("p", "auto")).WaitAsync(Patience);
        Assert.Null(near["note"]);
        var far = await client.CallAsync("forecast", MsgPackValue.Map(
            ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("p")))])), ("model", MsgPackValue.From("auto")), ("horizon", MsgPackValue.From(48L)))).WaitAsync(Patience);
        Assert.Contains("auto left the LSTM out: it forecasts at most 12 steps", far["note"]!.String, StringComparison.Ordinal);
        var median = far["forecasts"]!.Items[0]["values"]!.Items[1].Items.Select(v => v.AsDouble()).ToArray();
        Assert.Equal(48, median.Length);
        Assert.All(Enumerable.Range(0, 48), h => Assert.InRange(median[h], Value(700 + h) - 10, Value(700 + h) + 10));

        // The kept forecasters: one with the LSTM for 6 steps, one without for 48; asking again reuses both.
        await client.CallAsync("forecast", Forecast("p", "auto")).WaitAsync(Patience);
        Assert.Equal(2, server.Server.Forecasters.Fits);
    }

    [Fact]
    public async Task Conditioning_on_no_new_point_answers_exactly_as_the_fit_did()
    {
        var forecasters = new OpenForecasters(refitPoints: 1000);
        var history = new Shardcast.Models.Series.TimeSeries("s", [.. Enumerable.Range(0, 400).Select(t => t * 300.0)], [.. Enumerable.Range(0, 400).Select(Value)]);
        var model = new Shardcast.Host.Commands.ModelFactory(null, 0, 1, useDefaultModel: true).Create("ets");
        var first = forecasters.Forecast("s", "ets", model, history, 6, [0.5]).Values;
        var again = forecasters.Forecast("s", "ets", model, history, 6, [0.5]).Values;
        Assert.Equal(first[0], again[0]);
        Assert.Equal(1, forecasters.Fits);
        await Task.CompletedTask;
    }
}
