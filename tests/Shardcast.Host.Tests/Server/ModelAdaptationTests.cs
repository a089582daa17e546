using Microsoft.Extensions.Logging.Abstractions;
using Shardcast.Engine.Observation;
using Shardcast.Host.Server;
using Shardcast.Models.Neural;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;
using Xunit.Abstractions;

namespace Shardcast.Host.Tests.Server;

public class ModelAdaptationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private const double Step = 300, Start = 1_767_225_600;
    private const int Series = 8, Day = 288;

    /// <summary>
    /// Eight services' request rates: two days of a noisy drifting level (what the shipped model was trained on, NAB's
    /// kind), then a release turns each into a clean daily cycle with a second harmonic, each with its own phase and
    /// amplitude (where the shipped model lags the cycle: it reverts toward the recent level).
    /// </summary>
    private sealed class Services
    {
        private readonly double[] _phase = new double[Series];
        private readonly double[] _amplitude = new double[Series];
        private readonly double[][] _before = new double[Series][];

        public Services(int seed)
        {
            var random = new Random(seed);
            for (int s = 0; s < Series; s++)
            {
                _phase[s] = random.NextDouble() * Day;
                _amplitude[s] = 30 + (40 * random.NextDouble());
                double level = 200;
                _before[s] = [.. Enumerable.Range(0, 2 * Day).Select(_ => (level += 3 * (random.NextDouble() - 0.5)) + (5 * random.NextDouble()))];
            }
        }

        public double Cycle(int s, int t) =>
            200 + (_amplitude[s] * Math.Sin(2 * Math.PI * (t + _phase[s]) / Day)) + (0.5 * _amplitude[s] * Math.Sin(4 * Math.PI * (t + _phase[s]) / Day));

        /// <summary>Series s from point `from` to `to` (exclusive): the drifting level, then the cycle (with a little noise from a fixed seed).</summary>
        public double[] Values(int s, int from, int to)
        {
            var noise = new Random(1000 + s);
            var all = new double[to];
            for (int t = 0; t < to; t++)
            {
                double jitter = 2 * noise.NextDouble();
                all[t] = t < _before[s].Length ? _before[s][t] : Cycle(s, t) + jitter;
            }

            return all[from..];
        }
    }

    private static MsgPackValue Ingest(Services services, int from, int to) => MsgPackValue.Map(("series", MsgPackValue.FromArray([.. Enumerable.Range(0, Series).Select(s => MsgPackValue.Map(
        ("id", MsgPackValue.From($"svc{s}/rps")), ("step_seconds", MsgPackValue.From(Step)), ("end", MsgPackValue.From(Start + ((to - 1) * Step))),
        ("values", MsgPackValue.FromArray(services.Values(s, from, to).Select(MsgPackValue.From)))))])));

    /// <summary>The LSTM's median forecast error over the cycle's next 12 steps, from six origins in each series' last day.</summary>
    private static async Task<double> LstmErrorAsync(ShardcastClient client, Services services, int length)
    {
        double error = 0;
        int count = 0;
        for (int origin = length - Day + 20; origin <= length; origin += 45)
        {
            var request = MsgPackValue.Map(
                ("series", MsgPackValue.FromArray([.. Enumerable.Range(0, Series).Select(s => MsgPackValue.Map(
                    ("id", MsgPackValue.From($"inline{s}")), ("step_seconds", MsgPackValue.From(Step)), ("end", MsgPackValue.From(Start + ((origin - 1) * Step))),
                    ("values", MsgPackValue.FromArray(services.Values(s, 0, origin).Select(MsgPackValue.From)))))])),
                ("model", MsgPackValue.From("lstm")), ("quantiles", MsgPackValue.FromArray([MsgPackValue.From(0.5)])));
            var answer = await client.CallAsync("forecast", request).WaitAsync(Patience);
            for (int s = 0; s < Series; s++)
            {
                var median = answer["forecasts"]!.Items[s]["values"]!.Items[0].Items;
                for (int h = 0; h < 12; h++)
                {
                    error += Math.Abs(median[h].AsDouble() - services.Cycle(s, origin + h));
                    count++;
                }
            }
        }

        return error / count;
    }

    [Fact]
    public async Task A_changed_pattern_drifts_the_error_the_served_model_is_fine_tuned_and_the_error_recovers()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Server:AdaptModel"] = "true", ["Server:AdaptCheckSeconds"] = "0.3", ["Server:AdaptTimeBudgetSeconds"] = "6",
        });
        await using var client = await server.ConnectAsync();
        var services = new Services(seed: 4);

        // Two days of the old pattern: the adaptation measures the shipped model's baseline on them.
        await client.CallAsync("ingest", Ingest(services, 0, 2 * Day)).WaitAsync(Patience);
        var capabilities = await Eventually.ValueAsync(
            async () => await client.CallAsync("capabilities", MsgPackValue.EmptyMap),
            c => c["models"]!["lstm"]!["adaptation"]!["baseline_loss"]!.Kind != MsgPackKind.Nil, Patience);
        Assert.Equal(1, capabilities["models"]!["lstm"]!["version"]!.Int);

        // Then the release: three days of the cycle. The shipped model's error on it, before anything adapted.
        int length = 5 * Day;
        double before = await LstmErrorAsync(client, services, length);
        await client.CallAsync("ingest", Ingest(services, 2 * Day, length)).WaitAsync(Patience);
        // The new version serves a moment before the adaptation's status counts it: both are waited for.
        capabilities = await Eventually.ValueAsync(
            async () => await client.CallAsync("capabilities", MsgPackValue.EmptyMap),
            c => c["models"]!["lstm"]!["version"]!.Int >= 2 && c["models"]!["lstm"]!["adaptation"]!["kept"]!.Int >= 1, Patience);
        var lstm = capabilities["models"]!["lstm"]!;
        Assert.StartsWith("drift: v1's loss on the newest tails", lstm["version_reason"]!.String, StringComparison.Ordinal);
        Assert.Contains("kept: loss on the newest tails", lstm["version_reason"]!.String, StringComparison.Ordinal);
        Assert.Equal(1, lstm["adaptation"]!["kept"]!.Int);

        double after = await LstmErrorAsync(client, services, length);
        output.WriteLine($"mean absolute error of the LSTM's median on the new pattern: {before:F2} (v1, shipped), {after:F2} (v2); {lstm["version_reason"]!.String}");
        Assert.True(after < 0.6 * before, $"the LSTM's mean error on the new pattern: {before:F2} with the shipped model, {after:F2} with v2");

        // Ingested series are forecast by the new version too (the forecasters kept open on v1 were dropped).
        var byId = await client.CallAsync("forecast", MsgPackValue.Map(
            ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("svc0/rps")))])), ("model", MsgPackValue.From("lstm")),
            ("quantiles", MsgPackValue.FromArray([MsgPackValue.From(0.5)])))).WaitAsync(Patience);
        double first = byId["forecasts"]!.Items[0]["values"]!.Items[0].Items[0].AsDouble();
        Assert.InRange(first, services.Cycle(0, length) - (3 * after) - 5, services.Cycle(0, length) + (3 * after) + 5);
    }

    [Fact]
    public void A_served_version_worse_than_the_one_before_it_on_the_newest_data_is_rolled_back()
    {
        var shipped = LstmDefaultModel.Get().Network;
        var served = new ServedModel(shipped, "shipped", TimeProvider.System);
        var store = new SeriesStore(10_000_000);
        var services = new Services(seed: 2);

        // Two days of the drifting level, which the shipped model forecasts well.
        for (int s = 0; s < Series; s++)
        {
            store.Append($"svc{s}/rps", Step, Start + ((2 * Day) - 1) * Step, services.Values(s, 0, 2 * Day));
        }

        // A version whose head was knocked off was adopted: every forecast two scale units off the shipped one's.
        var parameters = (float[])shipped.Parameters.Clone();
        for (int i = 0; i < shipped.Hyper.HeadOutput; i++)
        {
            parameters[shipped.HeadBiasOffset + i] += 2;
        }

        served.Adopt(new LstmNetwork(shipped.Hyper, parameters), "test: a broken head");
        int changes = 0;
        served.Changed += _ => changes++;
        var options = new ServerOptions { AdaptModel = true };
        var adaptation = new ModelAdaptation(served, store, options, NullLogger.Instance, TimeProvider.System);
        adaptation.Check(CancellationToken.None);

        Assert.True(ReferenceEquals(shipped, served.Current.Network), adaptation.Status.ToString());
        Assert.Equal(1, served.Current.Number);
        Assert.StartsWith("regression: v2's loss on the newest tails", served.Current.Reason, StringComparison.Ordinal);
        Assert.Null(served.Previous);
        Assert.Equal(1, changes);
        Assert.Equal(1, adaptation.Status.RolledBack);
        Assert.Equal("rolled back to v1", adaptation.Status.State);

        // With the version before gone, a second check has nothing to roll back to and measures v1's baseline.
        adaptation.Check(CancellationToken.None);
        Assert.Equal(1, served.Current.Number);
        Assert.StartsWith("v1 serving; loss 1.00x its baseline", adaptation.Status.State, StringComparison.Ordinal);
    }

    /// <summary>A version told apart from <paramref name="shipped"/> by its first head bias only (what a fine-tune would keep, as far as the files care).</summary>
    private static LstmNetwork Nudged(LstmNetwork shipped, float nudge)
    {
        var parameters = (float[])shipped.Parameters.Clone();
        parameters[shipped.HeadBiasOffset] += nudge;
        return new LstmNetwork(shipped.Hyper, parameters);
    }

    [Fact]
    public async Task A_fine_tuned_version_serves_again_after_a_restart_and_a_damaged_one_is_refused()
    {
        string state = Directory.CreateTempSubdirectory("shardcast-model-").FullName;
        try
        {
            var settings = new Dictionary<string, string?> { ["Server:StateDirectory"] = state };
            var shipped = LstmDefaultModel.Get().Network;
            var tuned = Nudged(shipped, 0.01f);
            await using (var first = await RunningServer.StartAsync(settings))
            {
                first.Server.Model.Adopt(tuned, "test: tuned");
            }

            await using (var second = await RunningServer.StartAsync(settings))
            {
                await using var client = await second.ConnectAsync();
                var lstm = (await client.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience))["models"]!["lstm"]!;
                Assert.Equal(2, lstm["version"]!.Int);
                Assert.Equal("test: tuned", lstm["version_reason"]!.String);
                Assert.Equal(tuned.Parameters, second.Server.Model.Current.Network.Parameters);

                // A roll-back keeps the version it returns to, its number as it was.
                second.Server.Model.Resume(new ModelVersion(3, tuned, DateTimeOffset.UtcNow, "test: again"));
                second.Server.Model.Adopt(tuned, "test: once more");
                second.Server.Model.RollBack("test: back");
                Assert.Equal(3, second.Server.Model.Current.Number);
            }

            string path = ServedModelFile.PathIn(state);
            var bytes = File.ReadAllBytes(path);
            bytes[^100] ^= 0x10;
            File.WriteAllBytes(path, bytes);
            await using (var third = await RunningServer.StartAsync(settings))
            {
                Assert.Equal(1, third.Server.Model.Current.Number);
                Assert.Same(shipped, third.Server.Model.Current.Network);
            }
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    /// <summary>
    /// The version a roll-back returns to is kept beside the served one: after a restart the server can still roll
    /// back, to the shipped model or to an earlier fine-tune (its parameters as they were); a damaged previous file
    /// costs only the roll-back, the served version still serves.
    /// </summary>
    [Fact]
    public async Task The_version_to_roll_back_to_is_kept_across_a_restart()
    {
        string state = Directory.CreateTempSubdirectory("shardcast-model-").FullName;
        try
        {
            var settings = new Dictionary<string, string?> { ["Server:StateDirectory"] = state };
            var shipped = LstmDefaultModel.Get().Network;
            var first = Nudged(shipped, 0.01f);
            var second = Nudged(shipped, 0.02f);
            await using (var server = await RunningServer.StartAsync(settings))
            {
                server.Server.Model.Adopt(first, "test: first");
            }

            // v2 after a restart rolls back to the shipped model, and nothing is kept after that.
            await using (var server = await RunningServer.StartAsync(settings))
            {
                Assert.Equal(2, server.Server.Model.Current.Number);
                Assert.Equal(1, server.Server.Model.Previous?.Number);
                Assert.True(server.Server.Model.RollBack("test: back to shipped"));
                Assert.Same(shipped, server.Server.Model.Current.Network);
                Assert.False(File.Exists(ServedModelFile.PathIn(state)));
                server.Server.Model.Adopt(first, "test: first again");
                server.Server.Model.Adopt(second, "test: second");
            }

            // Numbers go on from the highest given (a roll-back does not give one back): v3 and v4.
            await using (var server = await RunningServer.StartAsync(settings))
            {
                Assert.Equal(4, server.Server.Model.Current.Number);
                var previous = server.Server.Model.Previous!;
                Assert.Equal((3, "test: first again"), (previous.Number, previous.Reason));
                Assert.Equal(first.Parameters, previous.Network.Parameters);
            }

            string path = ServedModelFile.PreviousPathIn(state);
            var bytes = File.ReadAllBytes(path);
            bytes[^100] ^= 0x10;
            File.WriteAllBytes(path, bytes);
            await using (var server = await RunningServer.StartAsync(settings))
            {
                Assert.Equal(4, server.Server.Model.Current.Number);
                Assert.Equal(second.Parameters, server.Server.Model.Current.Network.Parameters);
                Assert.Null(server.Server.Model.Previous);
            }
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Theory]
    [InlineData("Server:AdaptDriftRatio", "1", "Server:AdaptDriftRatio must be above 1")]
    [InlineData("Server:AdaptCheckSeconds", "0", "Server:AdaptCheckSeconds must be positive")]
    [InlineData("Server:AdaptMinGain", "1.5", "Server:AdaptMinGain in [0, 1)")]
    public async Task Bad_adaptation_settings_stop_the_start_naming_the_setting(string key, string value, string expected)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
