using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;
using Shardcast.Tests;

namespace Shardcast.Host.Tests.Server;

/// <summary>The socket's `plan` with `options.curve`: a point per byte budget, the plan last, and the guard's report beside it.</summary>
public sealed class PlanCurveTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static MsgPackValue Request(MsgPackValue curve) => MsgPackValue.FromMap([
        .. ServerTests.ExampleCluster().Pairs.Where(p => p.Key.String != "options"),
        new(MsgPackValue.From("options"), MsgPackValue.Map(("steps_per_chain", MsgPackValue.From(3000L)), ("seed", MsgPackValue.From(3L)), ("curve", curve))),
    ]);

    [Fact]
    public async Task A_plan_with_a_curve_answers_a_point_per_budget_each_within_it_and_the_plan_last()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var plan = await client.CallAsync("plan", Request(MsgPackValue.FromArray([MsgPackValue.From(0L), MsgPackValue.From(2e10), MsgPackValue.From(1e11)]))).WaitAsync(Patience);

        var curve = plan["curve"]!.Items;
        Assert.Equal(4, curve.Count);
        Assert.Equal([0, 2e10, 1e11], curve.Take(3).Select(p => p["budget_bytes"]!.AsDouble()));
        Assert.All(curve.Take(3), p => Assert.True(p["moved_bytes"]!.AsDouble() <= p["budget_bytes"]!.AsDouble() + 1e-6));
        Assert.Equal(MsgPackKind.Nil, curve[3]["budget_bytes"]!.Kind);
        Assert.Equal(plan["moved_bytes"]!.AsDouble(), curve[3]["moved_bytes"]!.AsDouble());
        Assert.Equal(plan["peak_utilisation_before"]!.AsDouble(), curve[0]["peak_utilisation"]!.AsDouble(), 5);
        Assert.Contains(plan["movement_guard"]!["chosen"]!.String, new[] { "search", "greedy" });
    }

    [Fact]
    public async Task A_curve_that_is_not_auto_or_budgets_is_refused_naming_the_field()
    {
        await using var server = await RunningServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var word = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("plan", Request(MsgPackValue.From("some"))));
        Assert.Equal(ErrorCodes.BadRequest, word.Code);
        Assert.StartsWith("body.options.curve: expected \"auto\"", word.Message, StringComparison.Ordinal);
        var negative = await Assert.ThrowsAsync<ProtocolException>(() => client.CallAsync("plan", Request(MsgPackValue.FromArray([MsgPackValue.From(1L), MsgPackValue.From(-2L)]))));
        Assert.StartsWith("body.options.curve[1]: expected a byte budget of zero or more", negative.Message, StringComparison.Ordinal);
    }
}
