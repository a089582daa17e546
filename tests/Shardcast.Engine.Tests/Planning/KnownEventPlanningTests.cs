using System.Globalization;
using System.Text;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;

namespace Shardcast.Engine.Tests.Planning;

public class KnownEventPlanningTests
{
    private const double End = 1_767_225_600;

    /// <summary>
    /// Two partitions of two tenants, each with three days of flat, lightly noisy history at 5 minutes, planned twelve
    /// steps ahead with seasonal naive at the median, and the given events.
    /// </summary>
    private static string Cluster(string events)
    {
        var random = new Random(2);
        string History() => string.Join(", ", Enumerable.Range(0, 3 * 288).Select(_ => string.Create(CultureInfo.InvariantCulture, $"[{100 + random.NextDouble():F3}]")));
        return $$$"""
        {
          "resources": ["rps"],
          "horizon": {"steps": 12, "step_seconds": 300, "forecast_model": "snaive"},
          "nodes": [{"id": "n0", "capacity": [1000], "zone": "a"}, {"id": "n1", "capacity": [1000], "zone": "b"}],
          "partitions": [
            {"id": "shop", "node": "n0", "size_bytes": 1e9, "tenant": "retail", "history": {"step_seconds": 300, "end": {{{End}}}, "values": [{{{History()}}}]}},
            {"id": "logs", "node": "n1", "size_bytes": 1e9, "tenant": "ops", "history": {"step_seconds": 300, "end": {{{End}}}, "values": [{{{History()}}}]}}
          ],
          "tenants": [{"id": "retail", "nodes": ["n0", "n1"]}, {"id": "ops", "nodes": ["n0", "n1"]}],
          "objective": {"quantile": 0.5},
          "events": {{{events}}}
        }
        """;
    }

    [Fact]
    public void A_launch_announced_for_a_tenant_is_provisioned_in_its_window_only()
    {
        // Steps 6 to 8 ahead (30 to 45 minutes after the last sample), three times the load, for the retail tenant.
        var spec = ClusterFileReader.Parse(Cluster($$"""[{"tag": "launch", "start": {{End + 1800}}, "end": {{End + 2700}}, "multiplier": 3, "tenant": "retail"}]"""));
        var input = PlanningInput.From(spec);
        for (int h = 0; h < 12; h++)
        {
            double expected = h + 1 is >= 6 and <= 8 ? 300 : 100;
            Assert.InRange(input.Load[0][h], expected * 0.98, expected * 1.02);
            Assert.InRange(input.Load[1][h], 98, 102);
        }

        Assert.Equal("snaive; events: launch x3 given on 1 series", input.ForecastServed);
        var plan = Planner.Plan(spec, new PlanOptions { Algorithm = Shardcast.Kernels.SearchAlgorithm.Greedy, StepsPerChain = 1000 });
        Assert.True(plan.After.NodePeakUtilisation.Max() >= 0.29, "the plan's peak is the launch's, not the flat load's");
    }

    [Fact]
    public void An_event_for_the_whole_cluster_covers_every_partition_and_survives_a_rewrite()
    {
        var spec = ClusterFileReader.Parse(Cluster($$"""[{"tag": "sale", "start": {{End + 300}}, "end": {{End + 900}}, "multiplier": 2}]"""));
        var input = PlanningInput.From(spec);
        Assert.InRange(input.Load[0][0], 196, 204);
        Assert.InRange(input.Load[1][1], 196, 204);
        Assert.InRange(input.Load[1][2], 98, 102);

        using var stream = new MemoryStream();
        ClusterFileWriter.Write(spec, stream);
        var again = ClusterFileReader.Parse(Encoding.UTF8.GetString(stream.ToArray()));
        Assert.Equal(spec.Events.Single() with { Partitions = [] }, again.Events.Single() with { Partitions = [] });
        Assert.Empty(again.Events.Single().Partitions);
    }

    [Theory]
    [InlineData("""[{"tag": "x", "start": 10, "end": 10}]""", "$.events[0].end", "must be after start")]
    [InlineData("""[{"tag": "x", "start": 0, "end": 10, "partitions": ["nope"]}]""", "$.events[0].partitions[0]", "unknown partition id 'nope'")]
    [InlineData("""[{"tag": "x", "start": 0, "end": 10, "tenant": "nobody"}]""", "$.events[0].tenant", "unknown tenant 'nobody'")]
    [InlineData("""[{"tag": "x", "start": 0, "end": 10, "multiplier": 0}]""", "$.events[0].multiplier", "between 0.01 and 100")]
    [InlineData("""[{"tag": " ", "start": 0, "end": 10}]""", "$.events[0].tag", "non-empty tag")]
    [InlineData("""[{"tag": "x", "start": 0, "end": 10, "when": 3}]""", "$.events[0].when", "")]
    public void Bad_events_are_refused_naming_the_field(string events, string field, string words)
    {
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileReader.Parse(Cluster(events)));
        Assert.Equal(field, e.Field);
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
    }
}
