using System.Globalization;
using System.Text;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;

namespace Shardcast.Engine.Tests.Planning;

public class RestructureTests
{
    private static PlanOptions Options => new() { Algorithm = SearchAlgorithm.Anneal, StepsPerChain = 20_000, Seed = 3 };

    private static string Rows(Func<int, double> load) =>
        "[" + string.Join(", ", Enumerable.Range(0, 12).Select(h => string.Create(CultureInfo.InvariantCulture, $"[{load(h):0.###}]"))) + "]";

    /// <summary>
    /// Three nodes of 1,000 rps at theta 0.8. On n0, `orders` has four segments of 100 rps, of which s2 is forecast to
    /// climb to 600 rps by step 8 (a flash crowd on one key range), beside `users` at 300; n1 holds `logs` (200), n2
    /// `cache` (100). Whole, `orders` peaks at 900: no node can take it within theta.
    /// </summary>
    private static string FlashCrowd(string restructure = "") => $$"""
    {
      "resources": ["rps"],
      "horizon": {"steps": 12, "step_seconds": 300},
      "nodes": [{"id": "n0", "capacity": [1000], "zone": "a"}, {"id": "n1", "capacity": [1000], "zone": "a"}, {"id": "n2", "capacity": [1000], "zone": "b"}],
      "partitions": [
        {"id": "orders", "node": "n0", "size_bytes": 4e9, "segments": [
          {"id": "s0", "load": {{Rows(_ => 100)}}},
          {"id": "s1", "load": {{Rows(_ => 100)}}},
          {"id": "s2", "load": {{Rows(h => 100 + (500 * Math.Min(h, 8) / 8.0))}}},
          {"id": "s3", "load": {{Rows(_ => 100)}}}]},
        {"id": "users", "node": "n0", "size_bytes": 1e9, "load": {{Rows(_ => 300)}}},
        {"id": "logs", "node": "n1", "size_bytes": 1e9, "load": {{Rows(_ => 200)}}},
        {"id": "cache", "node": "n2", "size_bytes": 1e9, "load": {{Rows(_ => 100)}}}
      ],
      "objective": {"theta": 0.8}{{restructure}}
    }
    """;

    [Fact]
    public void A_flash_crowd_on_one_segment_is_split_off_and_placed_before_its_peak()
    {
        var spec = ClusterFileReader.Parse(FlashCrowd());
        var plan = Planner.Plan(spec, Options);

        // Cut where half the load over the horizon is reached (before s2), then the hot half again (before s3).
        Assert.Equal([("orders", "orders.1", "s2"), ("orders.1", "orders.1.1", "s3")], plan.Splits.Select(s => (s.Partition, s.Child, s.At)));
        Assert.All(plan.Splits, s => Assert.Contains("above the split share 50.0%", s.Reason, StringComparison.Ordinal));
        var placed = plan.Input.Spec.Partitions.ToDictionary(p => p.Id);
        Assert.Equal("orders", placed["orders.1"].Parent);
        Assert.Equal(1e9, placed["orders.1"].SizeBytes);
        Assert.Equal(1e9, placed["orders.1.1"].SizeBytes);
        Assert.Equal(2e9, placed["orders"].SizeBytes);
        Assert.Equal(600, plan.Input.Load[plan.Input.PartitionIndex["orders.1"]][8], 9);

        // The split parts fit where the whole could not: every node ends within theta at every step.
        Assert.True(plan.Before.PeakUtilisation > 1.1);
        Assert.InRange(plan.After.PeakUtilisation, 0, 0.8 + 1e-9);
        var whole = Planner.Plan(spec, Options with { Restructure = false });
        Assert.Empty(whole.Splits);
        Assert.True(whole.After.PeakUtilisation > 0.8, $"whole, the best plan peaks at {whole.After.PeakUtilisation:P1}");

        // n0 passes theta at step 2 (s2 at 225): each move off it is needed by then, not now, and is staged ahead; a
        // move off a node that never passes theta (making room) has no step it is needed by.
        Assert.Contains(plan.Moves, m => m.From == "n0");
        Assert.Equal(plan.Moves.Where(m => m.From == "n0").Select(m => (m.Partition, m.To, 2)), plan.Ghosts.Select(g => (g.Partition, g.Node, g.ReadyByStep)));
    }

    [Fact]
    public void Restructuring_can_be_turned_off_in_the_file()
    {
        var spec = ClusterFileReader.Parse(FlashCrowd(""", "restructure": {"enabled": false}"""));
        var plan = Planner.Plan(spec, Options);
        Assert.Empty(plan.Splits);
        Assert.Equal(4, plan.Input.Spec.Partitions.Count);
        Assert.Equal(900, plan.Input.Load[0][8], 9);
    }

    private const string Family = """
    {
      "resources": ["rps"],
      "horizon": {"steps": 2, "step_seconds": 300},
      "nodes": [{"id": "n0", "capacity": [1000], "zone": "a"}, {"id": "n1", "capacity": [1000], "zone": "b"}],
      "partitions": [
        {"id": "cart", "node": "n0", "size_bytes": 2e9, "load": [[30], [40]]},
        {"id": "cart.1", "node": "n0", "size_bytes": 1e9, "parent": "cart", "load": [[20], [25]]},
        {"id": "feed", "node": "n0", "size_bytes": 2e9, "load": [[30], [40]]},
        {"id": "feed.1", "node": "n1", "size_bytes": 1e9, "parent": "feed", "load": [[20], [25]]},
        {"id": "news", "node": "n1", "size_bytes": 2e9, "load": [[300], [400]]},
        {"id": "news.1", "node": "n1", "size_bytes": 1e9, "parent": "news", "load": [[20], [25]]}
      ],
      "affinity": [{"a": "cart.1", "b": "feed", "weight": 1}]
    }
    """;

    /// <summary>The family with restructuring asked for: it gives no segments, so it would otherwise be placed as it is.</summary>
    private static string FamilyRestructured => Family.Replace("\"weight\": 1}]", "\"weight\": 1}], \"restructure\": {\"enabled\": true}", StringComparison.Ordinal);

    [Fact]
    public void A_file_without_segments_is_placed_as_it_is_unless_it_asks_for_restructuring()
    {
        var plain = Planner.Plan(ClusterFileReader.Parse(Family), Options);
        Assert.Empty(plain.Merges);
        Assert.Equal(6, plain.Input.Spec.Partitions.Count);
        Assert.Single(Planner.Plan(ClusterFileReader.Parse(FamilyRestructured), Options).Merges);
    }

    [Fact]
    public void A_cold_child_on_its_parents_node_is_merged_back_and_no_other()
    {
        var plan = Planner.Plan(ClusterFileReader.Parse(FamilyRestructured), Options);
        var merge = Assert.Single(plan.Merges);
        Assert.Equal(["cart", "cart.1"], merge.Partitions);
        Assert.Equal("cart", merge.Into);
        Assert.Equal(0.065, merge.PeakShare, 9);
        var placed = plan.Input.Spec.Partitions.ToDictionary(p => p.Id);

        // feed.1 lives on another node, news.1's parent is hot: both stay.
        Assert.Equal(["cart", "feed", "feed.1", "news", "news.1"], placed.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3e9, placed["cart"].SizeBytes);
        Assert.Equal([50.0, 65.0], plan.Input.Load[plan.Input.PartitionIndex["cart"]]);
        Assert.Equal(("cart", "feed"), (plan.Input.Spec.Affinity.Single().A, plan.Input.Spec.Affinity.Single().B));
    }

    [Fact]
    public void A_partition_given_by_its_segments_carries_their_sum_forecast_from_their_histories()
    {
        string history = "[" + string.Join(", ", Enumerable.Range(0, 3 * 288).Select(t => string.Create(CultureInfo.InvariantCulture, $"[{10 + (t % 288 == 0 ? 0 : 1)}]"))) + "]";
        var spec = ClusterFileReader.Parse($$$"""
        {
          "resources": ["rps"],
          "horizon": {"steps": 3, "step_seconds": 300, "forecast_model": "snaive"},
          "nodes": [{"id": "n0", "capacity": [1000], "zone": "a"}],
          "partitions": [{"id": "p", "node": "n0", "size_bytes": 1e9, "segments": [
            {"id": "a", "history": {"step_seconds": 300, "values": {{{history}}}}},
            {"id": "b", "load": [[5], [6], [7]]}]}],
          "objective": {"quantile": 0.5}
        }
        """);
        var input = PlanningInput.From(spec);
        Assert.Equal("snaive", input.ForecastServed);
        // Seasonal naive repeats yesterday: the step after the last point is the one that read 10.
        Assert.Equal([10.0, 11.0, 11.0], input.SegmentLoad[0]![0]);
        Assert.Equal([15.0, 17.0, 18.0], input.Load[0]);
    }

    [Theory]
    [InlineData("""{"id": "x", "node": "n0", "segments": [{"id": "a"}]}""", "$.partitions[0].segments[0].load", "a segment needs its load or its history")]
    [InlineData("""{"id": "x", "node": "n0", "segments": [{"id": "a", "load": [[1]]}, {"id": "a", "load": [[1]]}]}""", "$.partitions[0].segments[1].id", "duplicate segment id 'a'")]
    [InlineData("""{"id": "x", "node": "n0", "segments": [{"id": "a", "load": [[1], [2]]}]}""", "$.partitions[0].segments[0].load", "expected 1 rows")]
    [InlineData("""{"id": "x", "node": "n0"}""", "$.partitions[0].load", "required unless history or segments are given")]
    public void Bad_segments_are_refused_naming_the_field(string partition, string field, string words)
    {
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileReader.Parse($$"""
            {"resources": ["rps"], "horizon": {"steps": 1, "step_seconds": 60}, "nodes": [{"id": "n0", "capacity": [10], "zone": "a"}], "partitions": [{{partition}}]}
            """));
        Assert.Equal(field, e.Field);
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"split_share": 0}""", "$.restructure.split_share")]
    [InlineData("""{"split_share": 0.3, "merge_share": 0.3}""", "$.restructure.merge_share")]
    [InlineData("""{"splits": true}""", "$.restructure.splits")]
    public void Bad_restructure_settings_are_refused_naming_the_field(string settings, string field)
    {
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileReader.Parse(FlashCrowd($$""", "restructure": {{settings}}""")));
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void Segments_and_restructure_settings_survive_a_rewrite()
    {
        var spec = ClusterFileReader.Parse(FlashCrowd(""", "restructure": {"split_share": 0.4, "merge_share": 0.02}"""));
        using var stream = new MemoryStream();
        ClusterFileWriter.Write(spec, stream);
        var again = ClusterFileReader.Parse(Encoding.UTF8.GetString(stream.ToArray()));
        Assert.Equal(new RestructureSpec(null, 0.4, 0.02), again.Restructure);
        Assert.Equal(["s0", "s1", "s2", "s3"], again.Partitions[0].Segments.Select(s => s.Id));
        Assert.Equal(600, again.Partitions[0].Segments[2].Load![10][0], 9);
    }
}
