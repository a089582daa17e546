using Shardcast.DataPlane.Store;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;
using Shardcast.Tests;

namespace Shardcast.Host.Tests.Server;

/// <summary>`serve --control`: the control loop runs over the server's store from start; `control` reports its cycles, pauses and resumes it.</summary>
public sealed class ControlOperationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task The_loop_runs_from_start_reports_its_cycles_and_pauses_and_resumes()
    {
        await using var running = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Server:Store"] = "garnet", ["Server:StorePartitions"] = "8", ["Server:StoreControl"] = "true", ["Server:ControlStepSeconds"] = "0.5", ["Server:ControlPlanTimeMs"] = "100",
        });
        await using var client = await running.ConnectAsync();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            // Traffic through the server's client layer, 4 in 5 operations on the first node's slots.
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string key = $"k:{i % 400}";
                if (i % 5 != 0 && HashSlots.Of(key) > 4000)
                {
                    continue;
                }

                await running.Server.Store!.Client.SetAsync(key, $"v{i}");
                await Task.Delay(2);
            }
        });

        MsgPackValue status = MsgPackValue.EmptyMap;
        var deadline = DateTime.UtcNow + Patience;
        while ((status = await client.CallAsync("control", MsgPackValue.EmptyMap).WaitAsync(Patience))["cycles"]!.Items.Count < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than 3 cycles in {Patience.TotalSeconds} s: {status}");
            await Task.Delay(100);
        }

        Assert.True(status["running"]!.Boolean);
        Assert.Equal(0.5, status["step_seconds"]!.AsDouble());
        Assert.True(status["node_capacity"]!.AsDouble() > 0);
        var cycles = status["cycles"]!.Items;
        Assert.Equal([1, 2, 3], cycles.Take(3).Select(c => c["cycle"]!.Int));
        Assert.All(cycles, c => Assert.Equal(3, c["measured"]!.Pairs.Count()));
        Assert.All(cycles, c => Assert.Contains(c["decision"]!.String, new[] { "act", "replanned", "executing", "within_theta", "small_gain", "nothing_to_move" }));
        // Every step plans by default, on the schedule; the anomaly watch is on and reports a list (empty or not).
        Assert.Equal(1, status["plan_every"]!.Int);
        Assert.True(status["detect_anomalies"]!.Boolean);
        Assert.True(status["replan_on_anomaly"]!.Boolean);
        Assert.Equal("schedule", cycles[0]["trigger"]!.String);
        Assert.All(cycles, c => Assert.NotNull(c["anomalies"]!.Items));
        // Each step's traffic per range of the even cut is ingested: the hot range carries more than a cold one, and
        // `forecast` serves the series by id.
        var hot = running.Server.Series.Get("store/slots:0-2047/ops")!.Value;
        var cold = running.Server.Series.Get("store/slots:14336-16383/ops")!.Value;
        Assert.Equal(0.5, hot.StepSeconds);
        Assert.True(hot.Values.Length >= 3 && hot.Values.Average() > cold.Values.Average(), $"slots 0-2047: [{string.Join(", ", hot.Values)}], slots 14336-16383: [{string.Join(", ", cold.Values)}]");
        var forecast = await client.CallAsync("forecast", MsgPackValue.Map(
            ("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("store/slots:0-2047/ops")))])),
            ("model", MsgPackValue.From("snaive")), ("horizon", MsgPackValue.From(2L)))).WaitAsync(Patience);
        Assert.Equal("snaive", forecast["forecasts"]!.Items[0]["served_by"]!.String);
        var stored = await client.CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience);
        Assert.Equal(8, stored["stored"]!["series"]!.Int);

        var later = await client.CallAsync("control", MsgPackValue.Map(("since", status["last"]!))).WaitAsync(Patience);
        Assert.All(later["cycles"]!.Items, c => Assert.True(c["cycle"]!.Int > status["last"]!.Int));

        var paused = await client.CallAsync("control", MsgPackValue.Map(("action", MsgPackValue.From("pause")))).WaitAsync(Patience);
        Assert.True(paused["action_taken"]!.Boolean);
        Assert.False(paused["running"]!.Boolean);
        var again = await client.CallAsync("control", MsgPackValue.Map(("action", MsgPackValue.From("pause")))).WaitAsync(Patience);
        Assert.False(again["action_taken"]!.Boolean);
        var resumed = await client.CallAsync("control", MsgPackValue.Map(("action", MsgPackValue.From("resume")))).WaitAsync(Patience);
        Assert.True(resumed["running"]!.Boolean);

        var bad = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("control", MsgPackValue.Map(("action", MsgPackValue.From("stop")))));
        Assert.Equal("body.action: expected pause or resume, found 'stop'", bad.Message);
        await stop.CancelAsync();
        await writer;
    }

    [Fact]
    public async Task Control_without_a_loop_is_not_found_and_a_loop_without_a_store_is_refused_at_start()
    {
        await using (var running = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Server:Store"] = "garnet", ["Server:StorePartitions"] = "8" }))
        {
            await using var client = await running.ConnectAsync();
            var none = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("control", MsgPackValue.EmptyMap));
            Assert.Equal(ErrorCodes.NotFound, none.Code);
            Assert.StartsWith("body.cluster: this server runs no control loop", none.Message, StringComparison.Ordinal);
        }

        var refused = Assert.ThrowsAny<Exception>(() => RunningServer.StartAsync(new Dictionary<string, string?> { ["Server:StoreControl"] = "true" }).GetAwaiter().GetResult());
        Assert.Contains("Server:StoreControl needs a store to control", refused.ToString(), StringComparison.Ordinal);
    }
}
