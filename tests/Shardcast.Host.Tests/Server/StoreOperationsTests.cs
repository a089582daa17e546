using Shardcast.DataPlane.Store;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Tests.Server;

/// <summary>
/// A server that manages an embedded Garnet store: `store` shows it as the planner sees it, `execute` carries a plan
/// out (planned on the server, or sent), `execution` reports progress and events and cancels, and `route` follows
/// the store's slot map with epochs.
/// </summary>
public class StoreOperationsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static Task<RunningServer> StartAsync() =>
        RunningServer.StartAsync(new Dictionary<string, string?> { ["Server:Store"] = "garnet", ["Server:StorePartitions"] = "8" });

    /// <summary>Keys written through the server's own client layer, 4 in 5 to slots of the first node, so that its traffic is counted and one node is hot.</summary>
    private static async Task<List<string>> WriteHotKeysAsync(RunningServer running, int count)
    {
        var keys = new List<string>();
        for (int i = 0; keys.Count < count; i++)
        {
            string key = $"k:{i}";
            if (i % 5 != 0 && HashSlots.Of(key) > 4000)
            {
                continue;
            }

            await running.Server.Store!.Client.SetAsync(key, $"v{i}");
            keys.Add(key);
        }

        return keys;
    }

    private static async Task PollAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not within {Patience.TotalSeconds} s");
            await Task.Delay(50);
        }
    }

    private static async Task<MsgPackValue> UntilEndedAsync(ShardcastClient client)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var status = await client.CallAsync("execution", MsgPackValue.EmptyMap).WaitAsync(Patience);
            if (status["progress"]!["state"]!.String is "finished" or "cancelled")
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the execution did not end: {status}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task The_server_plans_and_executes_on_its_store_reports_the_events_and_routes_from_the_slot_map()
    {
        await using var running = await StartAsync();
        await using var client = await running.ConnectAsync();
        var keys = await WriteHotKeysAsync(running, 600);

        var routeBefore = await client.CallAsync("route", MsgPackValue.Map(("cluster", MsgPackValue.From("store")))).WaitAsync(Patience);
        // Eight even cuts, cut again where a node's slots end (5461 and 10922 fall inside two of them).
        Assert.Equal(10, routeBefore["entries"]!.Items.Count);

        var store = await client.CallAsync("store", MsgPackValue.EmptyMap).WaitAsync(Patience);
        Assert.Equal("ops", store["resource"]!.String);
        Assert.Equal(3, store["nodes"]!.Items.Count);
        Assert.Equal(600, store["partitions"]!.Items.Sum(p => p["keys"]!.Int));
        Assert.Equal(store["partitions"]!.Items.Count, store["cluster_file"]!["partitions"]!.Items.Count);

        var started = await client.CallAsync("execute", MsgPackValue.Map(("options", MsgPackValue.Map(("time_ms", MsgPackValue.From(300L)))))).WaitAsync(Patience);
        Assert.Equal(1, started["execution"]!.Int);
        Assert.False(started["replaced"]!.Boolean);
        long moves = started["moves"]!.Int;
        Assert.True(moves > 0, started.ToString());
        Assert.True(started["plan"]!["peak_utilisation_before"]!.AsDouble() > 1, started.ToString());

        var ended = await UntilEndedAsync(client);
        Assert.Equal("finished", ended["progress"]!["state"]!.String);
        Assert.Equal(moves, ended["progress"]!["moves_done"]!.Int + ended["progress"]!["moves_skipped"]!.Int);
        // One event per slot moved: thousands; a page holds at most 10,000.
        var all = await client.CallAsync("execution", MsgPackValue.Map(("since", MsgPackValue.From(0L)), ("max_events", MsgPackValue.From(10_000L)))).WaitAsync(Patience);
        var kinds = all["events"]!.Items.Select(e => e["kind"]!.String).ToList();
        Assert.Equal("wave_started", kinds[0]);
        Assert.Equal("finished", kinds[^1]);
        Assert.Contains("move_done", kinds);
        var later = await client.CallAsync("execution", MsgPackValue.Map(("since", all["last"]!))).WaitAsync(Patience);
        Assert.Empty(later["events"]!.Items);

        // The routing table follows the slot map within its refresh: a newer epoch, and a moved partition's new node.
        var moved = started["plan"]!["moves"]!.Items[0];
        await PollAsync(async () =>
        {
            var route = await client.CallAsync("route", MsgPackValue.Map(("cluster", MsgPackValue.From("store")))).WaitAsync(Patience);
            return route["epoch"]!.Int > routeBefore["epoch"]!.Int
                && route["entries"]!.Items.Any(e => e["partition"]!.String == moved["partition"]!.String && e["node"]!.String == moved["to"]!.String);
        }, "route shows the moved partition on its new node");

        foreach (string key in keys)
        {
            Assert.StartsWith("v", (string?)await running.Server.Store!.Client.GetAsync(key), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_plan_sent_is_executed_and_a_cancel_takes_its_range_back_whole()
    {
        await using var running = await StartAsync();
        await using var client = await running.ConnectAsync();
        await WriteHotKeysAsync(running, 300);
        var nodes = (await client.CallAsync("store", MsgPackValue.EmptyMap).WaitAsync(Patience))["nodes"]!.Items;
        var owner = nodes.Single(n => n["slots"]!.Items.Any(r => r.String.StartsWith("0-", StringComparison.Ordinal)));
        var other = nodes.First(n => n["id"]!.String != owner["id"]!.String);
        var plan = MsgPackValue.Map(("moves", MsgPackValue.FromArray([MsgPackValue.Map(
            ("partition", MsgPackValue.From("slots:0-3999")), ("from", owner["id"]!), ("to", other["id"]!), ("bytes", MsgPackValue.From(1000L)), ("wave", MsgPackValue.From(0L)))])));

        var started = await client.CallAsync("execute", MsgPackValue.Map(("plan", plan))).WaitAsync(Patience);
        Assert.Equal(1, started["moves"]!.Int);
        await PollAsync(async () => (await client.CallAsync("execution", MsgPackValue.EmptyMap))["progress"]!["slots_moved"]!.Int >= 3, "a few slots move");
        var cancelled = await client.CallAsync("execution", MsgPackValue.Map(("action", MsgPackValue.From("cancel")))).WaitAsync(Patience);
        Assert.True(cancelled["action_taken"]!.Boolean);

        var ended = await UntilEndedAsync(client);
        Assert.Equal("cancelled", ended["progress"]!["state"]!.String);
        Assert.Equal(0, ended["progress"]!["slots_moved"]!.Int);
        var map = await running.Server.Store!.Store.ReadSlotMapAsync();
        Assert.Equal(owner["node_id"]!.String, map.Owner(0)!.Id);
        Assert.Equal(owner["node_id"]!.String, map.Owner(3999)!.Id);
        Assert.Empty(map.InTransit);
    }

    [Fact]
    public async Task Store_requests_that_cannot_be_served_are_refused_naming_the_field()
    {
        await using (var plain = await RunningServer.StartAsync())
        {
            await using var client = await plain.ConnectAsync();
            var none = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("store", MsgPackValue.EmptyMap));
            Assert.Equal(ErrorCodes.NotFound, none.Code);
            Assert.StartsWith("body.cluster: this server manages no store", none.Message, StringComparison.Ordinal);
        }

        await using var running = await StartAsync();
        await using var c = await running.ConnectAsync();
        var early = await Assert.ThrowsAsync<ProtocolException>(() => c.CallAsync("execution", MsgPackValue.EmptyMap));
        Assert.Equal(ErrorCodes.NotFound, early.Code);
        var wrongName = await Assert.ThrowsAsync<ProtocolException>(() => c.CallAsync("store", MsgPackValue.Map(("cluster", MsgPackValue.From("east")))));
        Assert.Equal("body.cluster: no store 'east' here (this server manages 'store')", wrongName.Message);
        var move = MsgPackValue.Map(("partition", MsgPackValue.From("p1")), ("from", MsgPackValue.From("a")), ("to", MsgPackValue.From("b")));
        var body = MsgPackValue.Map(("plan", MsgPackValue.Map(("moves", MsgPackValue.FromArray([move])))));
        var badPlan = await Assert.ThrowsAsync<ProtocolException>(() => c.CallAsync("execute", body));
        Assert.Equal(ErrorCodes.BadRequest, badPlan.Code);
        Assert.StartsWith("body.plan: moves[0].partition: partition 'p1' does not name a slot range", badPlan.Message, StringComparison.Ordinal);
    }
}
