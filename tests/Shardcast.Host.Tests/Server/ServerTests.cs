using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text.Json;
using Shardcast.Host.Server;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;
using Shardcast.Tests;

namespace Shardcast.Host.Tests.Server;

public class ServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    internal static MsgPackValue ExampleCluster()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json")));
        return MsgPackJson.FromJson(json.RootElement);
    }

    private static MsgPackValue With(MsgPackValue map, params (string Key, MsgPackValue Value)[] extra) =>
        MsgPackValue.FromMap([.. map.Pairs.Where(p => !extra.Any(e => e.Key == p.Key.String)), .. extra.Select(e => new KeyValuePair<MsgPackValue, MsgPackValue>(MsgPackValue.From(e.Key), e.Value))]);

    [Fact]
    public async Task Plan_advises_nodes_for_an_infeasible_cluster_unless_asked_not_to()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        static MsgPackValue Row(double v) => MsgPackValue.FromArray([MsgPackValue.FromArray([MsgPackValue.From(v)])]);
        MsgPackValue Cluster(bool advise) => MsgPackValue.Map(
            ("resources", MsgPackValue.FromArray([MsgPackValue.From("ops")])),
            ("horizon", MsgPackValue.Map(("steps", MsgPackValue.From(1L)), ("step_seconds", MsgPackValue.From(300L)))),
            ("nodes", MsgPackValue.FromArray([.. new[] { "a", "b" }.Select(id => MsgPackValue.Map(("id", MsgPackValue.From(id)), ("capacity", MsgPackValue.FromArray([MsgPackValue.From(10.0)]))))])),
            ("partitions", MsgPackValue.FromArray([.. Enumerable.Range(0, 3).Select(i => MsgPackValue.Map(("id", MsgPackValue.From($"p{i}")), ("node", MsgPackValue.From("a")), ("load", Row(8))))])),
            ("options", MsgPackValue.Map(("time_ms", MsgPackValue.From(50L)), ("advise_scaling", MsgPackValue.From(advise)))));

        var advised = await client.CallAsync("plan", Cluster(advise: true)).WaitAsync(Patience);
        Assert.True(advised["scaling"]!["nodes_to_add"]!.AsDouble() >= 1);
        var skipped = await client.CallAsync("plan", Cluster(advise: false)).WaitAsync(Patience);
        Assert.Equal(MsgPackKind.Nil, skipped["scaling"]!["nodes_to_add"]!.Kind);
        Assert.Equal("not computed: scaling advice was turned off", skipped["scaling"]!["reason"]!.String);
        Assert.Equal(1, skipped["scaling"]!["add"]!.AsDouble());
    }

    [Fact]
    public void The_error_codes_are_frozen()
    {
        // Clients switch on these strings: a change here breaks them. Add codes; never rename or remove one.
        Assert.Equal(
            ["bad_frame", "bad_request", "unknown_op", "unsupported_version", "too_large", "timeout", "infeasible", "unauthorized", "shutting_down", "duplicate_id", "not_found", "busy", "internal"],
            ErrorCodes.All);
    }

    [Fact]
    public async Task Capabilities_lists_ops_backends_limits_and_the_model()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var body = await client.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience);
        Assert.Equal(1, body["protocol"]!.Int);
        Assert.Equal(["capabilities", "ingest", "forecast", "plan", "evaluate", "route", "store", "execute", "execution", "control"], body["ops"]!.Items.Select(i => i.String));
        Assert.Contains(body["backends"]!.Items, b => b["name"]!.String == "managed" && b["available"]!.Boolean);
        var cuda = body["backends"]!.Items.Single(b => b["name"]!.String == "cuda");
        if (MachineExpectations.CudaGpu is { } gpu)
        {
            Assert.Equal(gpu, cuda["available"]!.Boolean);
        }

        Assert.True(cuda["available"]!.Boolean || cuda["reason"]!.String.Length > 0, "an unavailable backend says why");
        Assert.Equal(12, body["models"]!["lstm"]!["horizon"]!.Int);
        Assert.Equal(32, body["limits"]!["max_in_flight_per_connection"]!.Int);
    }

    [Fact]
    public async Task Ingested_series_are_forecast_by_id_and_inline_series_as_float32_bin()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var values = Enumerable.Range(0, 600).Select(t => 50 + (20 * Math.Sin(2 * Math.PI * t / 288))).ToArray();
        var ingest = await client.CallAsync("ingest", MsgPackValue.Map(("series", MsgPackValue.FromArray([
            MsgPackValue.Map(("id", MsgPackValue.From("p1/cpu")), ("step_seconds", MsgPackValue.From(300L)), ("end", MsgPackValue.From(1_700_000_000L)), ("values", MsgPackValue.FromArray(values.Take(300).Select(MsgPackValue.From)))),
        ])))).WaitAsync(Patience);
        Assert.Equal(300, ingest["series"]!.Items[0]["length"]!.Int);
        await client.CallAsync("ingest", MsgPackValue.Map(("series", MsgPackValue.FromArray([
            MsgPackValue.Map(("id", MsgPackValue.From("p1/cpu")), ("step_seconds", MsgPackValue.From(300L)), ("values", Float32Bin(values.Skip(300).ToArray()))),
        ])))).WaitAsync(Patience);

        var byId = await client.CallAsync("forecast", MsgPackValue.Map(
            ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("p1/cpu")))])), ("model", MsgPackValue.From("ets")), ("horizon", MsgPackValue.From(6L)))).WaitAsync(Patience);
        var median = byId["forecasts"]!.Items[0]["values"]!.Items[1].Items.Select(v => v.AsDouble()).ToArray();
        Assert.Equal(6, median.Length);
        for (int h = 0; h < 6; h++)
        {
            Assert.InRange(median[h], 50 + (20 * Math.Sin(2 * Math.PI * (600 + h) / 288)) - 2, 50 + (20 * Math.Sin(2 * Math.PI * (600 + h) / 288)) + 2);
        }

        var inline = await client.CallAsync("forecast", MsgPackValue.Map(
            ("series", MsgPackValue.FromArray([MsgPackValue.Map(("values", Float32Bin(values)), ("step_seconds", MsgPackValue.From(300.0)))])),
            ("quantiles", MsgPackValue.FromArray([MsgPackValue.From(0.1), MsgPackValue.From(0.9)])), ("binary", MsgPackValue.True))).WaitAsync(Patience);
        var bin = inline["forecasts"]!.Items[0]["values"]!.Bytes.Span;
        Assert.Equal(2 * 12 * 4, bin.Length);
        Assert.True(BinaryPrimitives.ReadSingleLittleEndian(bin) <= BinaryPrimitives.ReadSingleLittleEndian(bin[(12 * 4)..]));

        var missing = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("forecast", MsgPackValue.Map(("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("nope")))])))));
        Assert.Equal(ErrorCodes.NotFound, missing.Code);
        Assert.Equal("ets", byId["forecasts"]!.Items[0]["served_by"]!.String);
    }

    [Fact]
    public async Task Forecast_with_known_events_learns_a_tags_effect_applies_a_given_one_and_names_a_bad_event()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();

        // Hourly for 30 days, a daily cycle, and a promotion every fifth day 10:00-13:00 at 2.5 times the load.
        const double hour = 3600, end = 1_767_225_600 + (30 * 24 * hour) - hour;
        var promotions = Enumerable.Range(0, 6).Select(k => (Start: 1_767_225_600 + (((5 * k) + 2) * 24 * hour) + (10 * hour), End: 1_767_225_600 + (((5 * k) + 2) * 24 * hour) + (13 * hour))).ToList();
        var values = Enumerable.Range(0, 30 * 24).Select(i =>
        {
            double t = 1_767_225_600 + (i * hour);
            return (100 + (30 * Math.Sin(2 * Math.PI * (i % 24) / 24))) * (promotions.Any(p => t >= p.Start && t < p.End) ? 2.5 : 1);
        }).ToArray();
        await client.CallAsync("ingest", MsgPackValue.Map(("series", MsgPackValue.FromArray([
            MsgPackValue.Map(("id", MsgPackValue.From("store/rps")), ("step_seconds", MsgPackValue.From(hour)), ("end", MsgPackValue.From(end)), ("values", MsgPackValue.FromArray(values.Select(MsgPackValue.From)))),
        ])))).WaitAsync(Patience);

        MsgPackValue Event(string tag, double start, double stop, double? multiplier = null, string? series = null)
        {
            var fields = new List<(string, MsgPackValue)> { ("tag", MsgPackValue.From(tag)), ("start", MsgPackValue.From(start)), ("end", MsgPackValue.From(stop)) };
            if (multiplier is { } m)
            {
                fields.Add(("multiplier", MsgPackValue.From(m)));
            }

            if (series is not null)
            {
                fields.Add(("series", MsgPackValue.FromArray([MsgPackValue.From(series)])));
            }

            return MsgPackValue.Map([.. fields]);
        }

        // The next promotion starts 11 hours after the last point; a one-off launch, announced at 3x, 2 to 4 hours after it.
        var events = promotions.Select(p => Event("promotion", p.Start, p.End)).Append(Event("promotion", end + (11 * hour), end + (14 * hour))).Append(Event("launch", end + (2 * hour), end + (4 * hour), 3, "store/rps")).ToList();
        MsgPackValue Request(IEnumerable<MsgPackValue> known) => MsgPackValue.Map(
            ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("store/rps")))])), ("model", MsgPackValue.From("snaive")), ("horizon", MsgPackValue.From(14L)),
            ("quantiles", MsgPackValue.FromArray([MsgPackValue.From(0.5)])), ("events", MsgPackValue.FromArray(known)));
        var plain = (await client.CallAsync("forecast", Request([])).WaitAsync(Patience))["forecasts"]!.Items[0];
        var known = (await client.CallAsync("forecast", Request(events)).WaitAsync(Patience))["forecasts"]!.Items[0];
        var p = plain["values"]!.Items[0].Items.Select(v => v.AsDouble()).ToArray();
        var k = known["values"]!.Items[0].Items.Select(v => v.AsDouble()).ToArray();
        for (int h = 0; h < 14; h++)
        {
            double factor = h + 1 is >= 2 and < 4 ? 3 : h + 1 is >= 11 and < 14 ? 2.5 : 1;
            Assert.Equal(p[h] * factor, k[h], p[h] * factor * 0.01);
        }

        var effects = known["events"]!.Items.ToDictionary(e => e["tag"]!.String);
        Assert.Equal("given", effects["launch"]["source"]!.String);
        Assert.Equal("learned", effects["promotion"]["source"]!.String);
        Assert.Equal(6, effects["promotion"]["occurrences"]!.Int);
        Assert.Equal(2.5, effects["promotion"]["multiplier"]!.AsDouble(), 2);
        Assert.Null(plain["events"]);

        var bad = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("forecast", Request([Event("launch", end, end - 1)])));
        Assert.Equal(ErrorCodes.BadRequest, bad.Code);
        Assert.Contains("body.events[0]: event 'launch': end", bad.Message, StringComparison.Ordinal);
        var stranger = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("forecast", Request([Event("launch", end, end + hour, 2, "other")])));
        Assert.Contains("body.events[0].series[0]: no series 'other' in this request", stranger.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_with_detect_names_the_value_that_raised_an_alarm_and_refuses_what_it_cannot_detect_on()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Server:MaxDetectedSeries"] = "2" });
        await using var client = await server.ConnectAsync();
        var random = new Random(5);
        double Load(int t, int partition) => 100 + (40 * Math.Sin(2 * Math.PI * t / 288)) + (partition * 10) + random.NextDouble();
        var alarms = new List<(string Id, long Index, string Severity)>();
        // A planner's steps: ten values of each partition a request; p2 gets a burst of traffic at value 800.
        for (int start = 0; start < 900; start += 10)
        {
            var series = new[] { "p1", "p2" }.Select((id, k) => MsgPackValue.Map(
                ("id", MsgPackValue.From(id)), ("step_seconds", MsgPackValue.From(300L)),
                ("values", MsgPackValue.FromArray(Enumerable.Range(start, 10).Select(t => MsgPackValue.From(Load(t, k) + (id == "p2" && t is >= 800 and < 803 ? 300 : 0)))))));
            var answer = await client.CallAsync("ingest", MsgPackValue.Map(("series", MsgPackValue.FromArray([.. series])), ("detect", MsgPackValue.True))).WaitAsync(Patience);
            alarms.AddRange(answer["anomalies"]!.Items.Select(a => (a["id"]!.String, a["index"]!.Int, a["severity"]!.String)));
        }

        Assert.Contains(alarms, a => a.Id == "p2" && a.Index is >= 800 and <= 801 && a.Severity == "major");
        Assert.DoesNotContain(alarms, a => a.Index >= 600 && a != alarms.Single(b => b.Id == "p2" && b.Index is >= 800 and <= 801));

        // Without detect the answer has no anomalies; a value that is not a number is refused by its place; a third
        // detected series passes the limit of two.
        var plain = await client.CallAsync("ingest", MsgPackValue.Map(("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("p1")), ("step_seconds", MsgPackValue.From(300L)), ("values", MsgPackValue.FromArray([MsgPackValue.From(1.0)])))])))).WaitAsync(Patience);
        Assert.Null(plain["anomalies"]);
        var nan = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("ingest", MsgPackValue.Map(("detect", MsgPackValue.True), ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("p1")), ("step_seconds", MsgPackValue.From(300L)), ("values", MsgPackValue.FromArray([MsgPackValue.From(1.0), MsgPackValue.From(double.NaN)])))])))));
        Assert.Equal(ErrorCodes.BadRequest, nan.Code);
        Assert.Contains("body.series[0].values[1]", nan.Message, StringComparison.Ordinal);
        var third = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("ingest", MsgPackValue.Map(("detect", MsgPackValue.True), ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("p3")), ("step_seconds", MsgPackValue.From(300L)), ("values", MsgPackValue.FromArray([MsgPackValue.From(1.0)])))])))));
        Assert.Equal(ErrorCodes.TooLarge, third.Code);
        Assert.Contains("Server:MaxDetectedSeries", third.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("ets")]
    public async Task A_series_too_short_for_the_model_is_forecast_by_seasonal_naive_and_says_so(string model)
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var young = MsgPackValue.Map(("id", MsgPackValue.From("young")), ("values", MsgPackValue.FromArray([MsgPackValue.From(73.0), MsgPackValue.From(62.0)])), ("step_seconds", MsgPackValue.From(300L)));
        var grown = MsgPackValue.Map(("id", MsgPackValue.From("grown")), ("values", MsgPackValue.FromArray([.. Enumerable.Range(0, 50).Select(t => MsgPackValue.From(60.0 + (t % 7)))])), ("step_seconds", MsgPackValue.From(300L)));
        var answer = await client.CallAsync("forecast", MsgPackValue.Map(("series", MsgPackValue.FromArray([young, grown])), ("model", MsgPackValue.From(model)), ("horizon", MsgPackValue.From(3L)))).WaitAsync(Patience);
        var naive = await client.CallAsync("forecast", MsgPackValue.Map(("series", MsgPackValue.FromArray([young])), ("model", MsgPackValue.From("snaive")), ("horizon", MsgPackValue.From(3L)))).WaitAsync(Patience);

        Assert.Equal("snaive", answer["forecasts"]!.Items[0]["served_by"]!.String);
        Assert.Equal(naive["forecasts"]!.Items[0]["values"]!.ToString(), answer["forecasts"]!.Items[0]["values"]!.ToString());
        Assert.Equal(model, answer["forecasts"]!.Items[1]["served_by"]!.String);
    }

    [Fact]
    public async Task Plan_names_a_device_backend_and_the_answer_says_which_searched_and_why()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        foreach (string backend in new[] { "opencl", "cuda" })
        {
            var request = With(ExampleCluster(), ("options", MsgPackValue.Map(("steps_per_chain", MsgPackValue.From(2000L)), ("backend", MsgPackValue.From(backend)))));
            var plan = await client.CallAsync("plan", request).WaitAsync(Patience);
            Assert.True(plan["feasible"]!.Boolean);
            string searched = plan["backend"]!.String;
            bool? declared = backend == "cuda" ? MachineExpectations.CudaGpu : MachineExpectations.OpenCl;
            Assert.True(declared is not { } present || present == (searched == backend), $"{backend} declared {declared}, searched on {searched}");
            if (searched == backend)
            {
                Assert.Null(plan["backend_fallback"]);
            }
            else
            {
                Assert.Equal("managed", searched);
                Assert.Equal(backend, plan["backend_fallback"]!["requested"]!.String);
                Assert.False(string.IsNullOrWhiteSpace(plan["backend_fallback"]!["reason"]!.String));
            }

        }
    }

    [Fact]
    public async Task Plan_answers_with_the_plan_files_fields_and_recorded_plans_feed_the_routing_table()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var request = With(ExampleCluster(), ("options", MsgPackValue.Map(("steps_per_chain", MsgPackValue.From(3000L)), ("seed", MsgPackValue.From(3L)))), ("record_route", MsgPackValue.True));
        var plan = await client.CallAsync("plan", request).WaitAsync(Patience);
        Assert.True(plan["feasible"]!.Boolean);
        Assert.True(plan["peak_utilisation_after"]!.AsDouble() < plan["peak_utilisation_before"]!.AsDouble());
        Assert.Equal(1, plan["route_epoch"]!.Int);
        int moves = plan["moves"]!.Items.Count;
        Assert.True(moves > 0);

        var all = await client.CallAsync("route", MsgPackValue.EmptyMap).WaitAsync(Patience);
        Assert.Equal(120, all["entries"]!.Items.Count);
        var moved = plan["moves"]!.Items[0];
        Assert.Contains(all["entries"]!.Items, e => e["partition"]!.String == moved["partition"]!.String && e["node"]!.String == moved["to"]!.String);
        var none = await client.CallAsync("route", MsgPackValue.Map(("since", MsgPackValue.From(1L)))).WaitAsync(Patience);
        Assert.Empty(none["entries"]!.Items);
        var ahead = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("route", MsgPackValue.Map(("since", MsgPackValue.From(9L)))));
        Assert.Equal(ErrorCodes.NotFound, ahead.Code);
        Assert.Contains("ahead of the table's 1", ahead.Message, StringComparison.Ordinal);

        // The key's old name is refused, naming the new one, before any search.
        var renamed = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("plan", With(ExampleCluster(), ("apply", MsgPackValue.True))));
        Assert.Equal(ErrorCodes.BadRequest, renamed.Code);
        Assert.Contains("body.apply", renamed.Message, StringComparison.Ordinal);
        Assert.Contains("record_route", renamed.Message, StringComparison.Ordinal);

        // The same assignment evaluated by the server costs what the plan said.
        var assignment = MsgPackValue.FromMap([.. all["entries"]!.Items.Select(e => new KeyValuePair<MsgPackValue, MsgPackValue>(e["partition"]!, e["node"]!))]);
        var evaluation = await client.CallAsync("evaluate", With(ExampleCluster(), ("assignment", assignment))).WaitAsync(Patience);
        Assert.Equal(plan["cost_after"]!["total"]!.AsDouble(), evaluation["cost"]!["total"]!.AsDouble(), 6);
        Assert.True(evaluation["feasible"]!.Boolean);
    }

    [Fact]
    public async Task Routing_tables_are_kept_per_cluster_and_survive_a_restart_of_the_server()
    {
        string state = Directory.CreateTempSubdirectory("shardcast-state-").FullName;
        try
        {
            var settings = new Dictionary<string, string?> { ["Server:StateDirectory"] = state };
            var options = ("options", MsgPackValue.Map(("steps_per_chain", MsgPackValue.From(2000L)), ("seed", MsgPackValue.From(3L))));
            MsgPackValue before;
            await using (var server = await RunningServer.StartAsync(settings))
            {
                await using var client = await server.ConnectAsync();
                var east = await client.CallAsync("plan", With(ExampleCluster(), options, ("record_route", MsgPackValue.From("east")))).WaitAsync(Patience);
                Assert.Equal(("east", 1L), (east["route_cluster"]!.String, east["route_epoch"]!.Int));
                await client.CallAsync("plan", With(ExampleCluster(), options, ("record_route", MsgPackValue.True))).WaitAsync(Patience);
                var again = await client.CallAsync("plan", With(ExampleCluster(), options, ("record_route", MsgPackValue.From("west")))).WaitAsync(Patience);

                // Each cluster counts its own epochs: west's first plan is its epoch 1, whatever east and default did.
                Assert.Equal(1, again["route_epoch"]!.Int);
                before = await client.CallAsync("route", MsgPackValue.Map(("cluster", MsgPackValue.From("east")))).WaitAsync(Patience);
                Assert.Equal(120, before["entries"]!.Items.Count);
                var bad = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("route", MsgPackValue.Map(("cluster", MsgPackValue.From("../etc")))));
                Assert.Equal(ErrorCodes.BadRequest, bad.Code);
                Assert.Contains("body.cluster", bad.Message, StringComparison.Ordinal);
            }

            await using (var restarted = await RunningServer.StartAsync(settings))
            {
                await using var client = await restarted.ConnectAsync();
                var after = await client.CallAsync("route", MsgPackValue.Map(("cluster", MsgPackValue.From("east")))).WaitAsync(Patience);
                Assert.Equal(before.ToString(), after.ToString());
                var capabilities = await client.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience);
                Assert.Equal(["default", "east", "west"], capabilities["route_clusters"]!.Items.Select(i => i.String));
            }

            // A damaged table stops the start, naming its file, rather than serving an empty one.
            File.WriteAllText(Path.Combine(state, "routes", "east.routes.json"), "{\"epoch\": 1, \"entries\": [{\"partition\": \"p0\"");
            var refused = await Assert.ThrowsAsync<Shardcast.Engine.Routing.RoutingStateException>(() => RunningServer.StartAsync(settings));
            Assert.Contains("east.routes.json: not a routing table", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task A_cluster_cached_once_is_evaluated_by_name_exactly_as_when_sent_in_full()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var indices = new byte[120 * 4];
        for (int p = 0; p < 120; p++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(indices.AsSpan(p * 4), p % 10);
        }

        var full = await client.CallAsync("evaluate", With(ExampleCluster(), ("assignment", MsgPackValue.FromBinary(indices)), ("cache_as", MsgPackValue.From("example")))).WaitAsync(Patience);
        var byName = await client.CallAsync("evaluate", MsgPackValue.Map(("cluster", MsgPackValue.From("example")), ("assignment", MsgPackValue.FromBinary(indices)))).WaitAsync(Patience);
        Assert.Equal(full.ToString(), byName.ToString());
        var missing = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("evaluate", MsgPackValue.Map(("cluster", MsgPackValue.From("other")), ("assignment", MsgPackValue.FromBinary(indices)))));
        Assert.Equal(ErrorCodes.NotFound, missing.Code);
        Assert.Contains("cache_as", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_takes_node_indices_as_int32_bin_and_reports_what_is_broken()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var everythingOnNodeZero = new byte[120 * 4];
        var evaluation = await client.CallAsync("evaluate", With(ExampleCluster(), ("assignment", MsgPackValue.FromBinary(everythingOnNodeZero)))).WaitAsync(Patience);
        Assert.False(evaluation["feasible"]!.Boolean);
        Assert.True(evaluation["peak_utilisation"]!.AsDouble() > 1);
        Assert.NotEmpty(evaluation["broken"]!.Items);
        var bad = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("evaluate", With(ExampleCluster(), ("assignment", MsgPackValue.FromBinary(new byte[8])))));
        Assert.Contains("expected 120 node indices", bad.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plan", "partitions-load", "body.partitions[0].load")]
    [InlineData("plan", "options", "body.options.algorithm")]
    [InlineData("forecast", "quantile", "body.quantiles[0]")]
    [InlineData("forecast", "no-quantiles", "body.quantiles: at least one quantile")]
    [InlineData("forecast", "unknown-key", "body.series[0].valuez")]
    [InlineData("ingest", "step", "body.series[0].step_seconds")]
    [InlineData("route", "since", "body.since")]
    public async Task A_body_that_does_not_match_its_schema_gets_bad_request_naming_the_field(string op, string mistake, string field)
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var series = MsgPackValue.Map(("values", MsgPackValue.FromArray(Enumerable.Repeat(MsgPackValue.From(1.0), 10))), ("step_seconds", MsgPackValue.From(60L)));
        var body = mistake switch
        {
            "partitions-load" => With(ExampleCluster(), ("partitions", MsgPackValue.FromArray([With(ExampleCluster()["partitions"]!.Items[0], ("load", MsgPackValue.From("heavy")))]))),
            "options" => With(ExampleCluster(), ("options", MsgPackValue.Map(("algorithm", MsgPackValue.From("magic"))))),
            "quantile" => MsgPackValue.Map(("series", MsgPackValue.FromArray([series])), ("quantiles", MsgPackValue.FromArray([MsgPackValue.From(1.5)]))),
            "no-quantiles" => MsgPackValue.Map(("series", MsgPackValue.FromArray([series])), ("quantiles", MsgPackValue.EmptyArray)),
            "unknown-key" => MsgPackValue.Map(("series", MsgPackValue.FromArray([With(series, ("valuez", MsgPackValue.Nil))]))),
            "step" => MsgPackValue.Map(("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("a")), ("values", MsgPackValue.EmptyArray), ("step_seconds", MsgPackValue.From(-5L)))]))),
            _ => MsgPackValue.Map(("since", MsgPackValue.From("yesterday"))),
        };
        var e = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync(op, body).WaitAsync(Patience));
        Assert.Equal(ErrorCodes.BadRequest, e.Code);
        Assert.StartsWith(field, e.Message, StringComparison.Ordinal);

        // The connection keeps serving after a bad request.
        Assert.Equal(1, (await client.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience))["protocol"]!.Int);
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("evaluate")]
    public async Task A_cluster_whose_cost_overflows_gets_bad_request_naming_the_node(string op)
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var cluster = ExampleCluster();
        var nodes = cluster["nodes"]!.Items.ToArray();
        nodes[5] = With(nodes[5], ("capacity", MsgPackValue.FromArray([MsgPackValue.From(1e-320), nodes[5]["capacity"]!.Items[1]])));
        var body = With(cluster, ("nodes", MsgPackValue.FromArray(nodes)), ("assignment", MsgPackValue.FromBinary(new byte[120 * 4])));
        if (op == "plan")
        {
            body = With(cluster, ("nodes", MsgPackValue.FromArray(nodes)));
        }

        var e = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync(op, body).WaitAsync(Patience));
        Assert.Equal(ErrorCodes.BadRequest, e.Code);
        Assert.StartsWith("body: the cluster's numbers do not fit the cost's range", e.Message, StringComparison.Ordinal);
        Assert.Contains("node 'n5'", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await client.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience))["protocol"]!.Int);
    }

    [Fact]
    public async Task Envelope_errors_unknown_ops_versions_and_duplicate_ids_get_their_codes()
    {
        await using var server = await RunningServer.StartAsync();
        await using var raw = await RawConnection.OpenAsync(server.Port);
        await raw.SendAsync(MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(1L)), ("op", MsgPackValue.From("teleport")), ("body", MsgPackValue.EmptyMap)));
        Assert.Equal(ErrorCodes.UnknownOp, (await raw.ReceiveAsync())["error"]!["code"]!.String);
        await raw.SendAsync(MsgPackValue.Map(("v", MsgPackValue.From(2L)), ("id", MsgPackValue.From(2L)), ("op", MsgPackValue.From("route"))));
        var version = await raw.ReceiveAsync();
        Assert.Equal(ErrorCodes.UnsupportedVersion, version["error"]!["code"]!.String);
        Assert.Equal(2, version["id"]!.Int);
        await raw.SendAsync(MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("op", MsgPackValue.From("route"))));
        var noId = await raw.ReceiveAsync();
        Assert.Equal(ErrorCodes.BadRequest, noId["error"]!["code"]!.String);
        Assert.Equal(MsgPackKind.Nil, noId["id"]!.Kind);
        await raw.SendAsync(MsgPackValue.FromArray([MsgPackValue.From(1L)]));
        Assert.Equal(ErrorCodes.BadRequest, (await raw.ReceiveAsync())["error"]!["code"]!.String);

        // Two requests with one id in flight at once: the later one is refused, the earlier one answered, however
        // long the earlier one waits for a worker thread.
        var slow = MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(7L)), ("op", MsgPackValue.From("plan")), ("body", With(ExampleCluster(), ("options", MsgPackValue.Map(("time_ms", MsgPackValue.From(1500L)))))));
        await raw.SendAsync(slow);
        await raw.SendAsync(MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(7L)), ("op", MsgPackValue.From("route"))));
        var refused = await raw.ReceiveAsync();
        Assert.Equal(ErrorCodes.DuplicateId, refused["error"]!["code"]!.String);
        Assert.Equal(7, refused["id"]!.Int);
        var planned = await raw.ReceiveAsync();
        Assert.True(planned["ok"]!.Boolean);
        Assert.True(planned["body"]!["feasible"]!.Boolean);
    }

    [Fact]
    public async Task A_bad_frame_or_an_absurd_length_closes_that_connection_only()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Server:MaxFrameBytes"] = "1048576" });
        await using var good = await server.ConnectAsync();
        await using var bad = await RawConnection.OpenAsync(server.Port);
        await bad.SendBytesAsync([0, 0, 0, 3, 0xc1, 0x00, 0x00]);
        var refusal = await bad.ReceiveAsync();
        Assert.Equal(ErrorCodes.BadFrame, refusal["error"]!["code"]!.String);
        Assert.True(await bad.IsClosedAsync());

        await using var huge = await RawConnection.OpenAsync(server.Port);
        await huge.SendBytesAsync([0x7f, 0xff, 0xff, 0xff, 0x81]);
        var tooLarge = await huge.ReceiveAsync();
        Assert.Equal(ErrorCodes.TooLarge, tooLarge["error"]!["code"]!.String);
        Assert.Contains("exceeds the limit of 1048576", tooLarge["error"]!["message"]!.String, StringComparison.Ordinal);
        Assert.True(await huge.IsClosedAsync());

        Assert.Equal(1, (await good.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience))["protocol"]!.Int);
    }

    [Fact]
    public async Task Pipelined_requests_are_all_answered_by_id()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var calls = Enumerable.Range(0, 40).Select(i => i % 4 == 0
            ? client.CallAsync("plan", With(ExampleCluster(), ("options", MsgPackValue.Map(("steps_per_chain", MsgPackValue.From(200L)), ("seed", MsgPackValue.From((long)i)))))).ContinueWith(t => ("plan", t.Result), TaskScheduler.Default)
            : client.CallAsync("route", MsgPackValue.EmptyMap).ContinueWith(t => ("route", t.Result), TaskScheduler.Default)).ToArray();
        var results = await Task.WhenAll(calls).WaitAsync(Patience);
        Assert.Equal(10, results.Count(r => r.Item1 == "plan" && r.Item2["moves"] is not null));
        Assert.Equal(30, results.Count(r => r.Item1 == "route" && r.Item2["epoch"] is not null));
    }

    [Fact]
    public async Task A_token_is_required_when_configured_and_checked()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Server:Token"] = "correct horse battery staple" });
        await using var anonymous = await server.ConnectAsync();
        var e = await Assert.ThrowsAsync<ProtocolException>(() => anonymous.CallAsync("route", MsgPackValue.EmptyMap));
        Assert.Equal(ErrorCodes.Unauthorized, e.Code);
        await using var wrong = await server.ConnectAsync("correct horse battery stapler");
        Assert.Equal(ErrorCodes.Unauthorized, (await Assert.ThrowsAsync<ProtocolException>(() => wrong.CallAsync("route", MsgPackValue.EmptyMap))).Code);
        await using var right = await server.ConnectAsync("correct horse battery staple");
        Assert.Equal(0, (await right.CallAsync("route", MsgPackValue.EmptyMap).WaitAsync(Patience))["epoch"]!.Int);
    }

    [Fact]
    public void Settings_are_validated_naming_each_problem()
    {
        var problems = new ServerOptions { Listen = "0.0.0.0:7411", MaxFrameBytes = 0, Token = null }.Validate();
        Assert.Contains(problems, p => p.Contains("Server:Token is required to listen on 0.0.0.0:7411", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Server:MaxFrameBytes must be positive", StringComparison.Ordinal));
        Assert.Contains(new ServerOptions { Listen = "nowhere" }.Validate(), p => p.Contains("is not host:port", StringComparison.Ordinal));
        Assert.Contains(new ServerOptions { Token = "short" }.Validate(), p => p.Contains("at least 16", StringComparison.Ordinal));
        Assert.Empty(new ServerOptions { Listen = "0.0.0.0:0", Token = "a long enough shared secret" }.Validate());
    }

    [Fact]
    public async Task A_request_past_its_time_budget_gets_timeout_and_the_server_goes_on()
    {
        // The server's deadlines run on a clock the test moves: while a large forecast works, the clock is moved past
        // the 30 s budget (again and again, so the deadline made just after the frame was read is passed too). The
        // forecast takes far longer than the 50 ms between moves on any machine; no wall-clock budget is involved.
        var clock = new ManualClock();
        await using var server = await RunningServer.StartAsync(new() { ["Server:RequestTimeoutSeconds"] = "30" }, clock);
        await using var client = await server.ConnectAsync();
        var random = new Random(1);
        var many = MsgPackValue.FromArray(Enumerable.Range(0, 400).Select(_ => MsgPackValue.Map(
            ("values", MsgPackValue.FromArray(Enumerable.Range(0, 2000).Select(t => MsgPackValue.From(random.NextDouble() + (t % 288))))), ("step_seconds", MsgPackValue.From(300L)))));
        var call = client.CallAsync("forecast", MsgPackValue.Map(("series", many), ("model", MsgPackValue.From("ets"))));
        var moving = Task.Run(async () =>
        {
            while (!call.IsCompleted)
            {
                clock.Advance(TimeSpan.FromSeconds(31));
                await Task.Delay(50);
            }
        });
        var e = await Assert.ThrowsAsync<ProtocolException>(() => call.WaitAsync(Patience));
        await moving;
        Assert.Equal(ErrorCodes.Timeout, e.Code);
        Assert.Contains("did not finish within 30 s", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await client.CallAsync("route", MsgPackValue.EmptyMap).WaitAsync(Patience))["epoch"]!.Int);
    }

    [Fact]
    public async Task Shutdown_finishes_the_requests_in_flight()
    {
        var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        long framesBefore = server.Server.FramesRead;
        var plan = client.CallAsync("plan", With(ExampleCluster(), ("options", MsgPackValue.Map(("time_ms", MsgPackValue.From(1500L))))));
        // Shutdown begins once the server holds the request (a frame still on the wire is not in flight).
        await Eventually.UntilAsync(() => server.Server.FramesRead > framesBefore, Patience, "the server reads the plan's frame");

        await server.DisposeAsync();
        var answer = await plan.WaitAsync(Patience);
        Assert.NotNull(answer["moves"]);
    }

    private static MsgPackValue Float32Bin(double[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), (float)values[i]);
        }

        return MsgPackValue.FromBinary(bytes);
    }
}

/// <summary>A connection that speaks frames directly, for tests that misbehave on purpose.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawConnection> OpenAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawConnection(tcp);
    }

    public Task SendAsync(MsgPackValue value) => SendBytesAsync(Framing.Encode(value));

    public async Task SendBytesAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    public async Task<MsgPackValue> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var header = new byte[4];
        await _stream.ReadExactlyAsync(header, timeout.Token);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header)];
        await _stream.ReadExactlyAsync(payload, timeout.Token);
        var result = MsgPackReader.Read(payload, MsgPackLimits.Default);
        return result.Value ?? throw new InvalidDataException(result.Error);
    }

    /// <summary>One whole frame as it came, header included.</summary>
    public async Task<byte[]> ReceiveRawAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var header = new byte[4];
        await _stream.ReadExactlyAsync(header, timeout.Token);
        var frame = new byte[4 + BinaryPrimitives.ReadUInt32BigEndian(header)];
        header.CopyTo(frame, 0);
        await _stream.ReadExactlyAsync(frame.AsMemory(4), timeout.Token);
        return frame;
    }

    /// <summary>Whether the server closed the connection (a read returns end of stream).</summary>
    public async Task<bool> IsClosedAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            return await _stream.ReadAsync(new byte[1], timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}

public class ServeCommandTests
{
    [Fact]
    public void Serve_refuses_settings_that_fail_validation_with_exit_code_2()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Shardcast.Host.Commands.Cli.Run(["serve", "--listen", "0.0.0.0:0"], output, error, () => new MemoryStream());
        Assert.Equal(Shardcast.Host.Commands.ExitCodes.BadInput, code);
        Assert.Contains("Server:Token is required to listen on 0.0.0.0:0", error.ToString(), StringComparison.Ordinal);
    }
}

public class ProtocolDocumentTests
{
    [Fact]
    public async Task The_worked_example_in_docs_protocol_md_is_byte_exact()
    {
        await using var server = await RunningServer.StartAsync();
        await using var raw = await RawConnection.OpenAsync(server.Port);
        await raw.SendBytesAsync(Convert.FromHexString("0000001e84a17601a2696401a26f70a5726f757465a4626f647981a573696e636500"));
        var answer = await raw.ReceiveRawAsync();
        Assert.Equal("0000003683a2696401a26f6bc3a4626f647984a7636c7573746572a764656661756c74a565706f636800a573696e636500a7656e747269657390", Convert.ToHexString(answer).ToLowerInvariant());
    }
}
