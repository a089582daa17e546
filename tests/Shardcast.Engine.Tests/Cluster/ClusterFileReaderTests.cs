using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Tests.Cluster;

public class ClusterFileReaderTests
{
    private static ClusterFileException Refused(string json) => Assert.Throws<ClusterFileException>(() => ClusterFileReader.Parse(json));

    private static string Edit(string from, string to)
    {
        Assert.Contains(from, Clusters.Small, StringComparison.Ordinal);
        return Clusters.Small.Replace(from, to, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TheDesignShape_ReadsEveryField()
    {
        var spec = ClusterFileReader.Parse(Clusters.Small);
        Assert.Equal(["read_rps", "read_bytes"], spec.Resources);
        Assert.Equal(2, spec.Horizon.Steps);
        Assert.Equal(3, spec.Nodes.Count);
        Assert.Equal(NodeState.New, spec.Nodes[2].State);
        Assert.Equal(3.3e7, spec.Partitions[0].Load![1][1]);
        Assert.Equal("p0", spec.Partitions[2].Parent);
        Assert.Equal("orders", spec.Partitions[2].Tags["topic"]);
        Assert.Equal(2, spec.Groups[0].MinZones);
        Assert.Equal(2.0, spec.Affinity[0].Weight);
        Assert.Equal(2.0, spec.ZoneDistance[0].Cost);
        Assert.Equal(0.9, spec.Objective.Quantile);
        Assert.Equal(100, spec.Budget.MaxMoves);
        Assert.Equal(200, spec.Search.TimeMs);
    }

    [Fact]
    public void Parse_ForecastModelAndHistoryEnd_RoundTripThroughTheWriter()
    {
        var spec = ClusterFileReader.Parse("""
        {"resources": ["cpu"], "horizon": {"steps": 1, "step_seconds": 60, "forecast_model": "ets"},
         "nodes": [{"id": "a", "capacity": [4]}],
         "partitions": [{"id": "p", "node": "a", "history": {"step_seconds": 60, "end": 1700000000, "values": [[1], [2], [3]]}}]}
        """);
        Assert.Equal("ets", spec.Horizon.ForecastModel);
        Assert.Equal(1_700_000_000, spec.Partitions[0].History!.End);
        using var stream = new MemoryStream();
        ClusterFileWriter.Write(spec, stream, indented: false);
        var back = ClusterFileReader.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        Assert.Equal("ets", back.Horizon.ForecastModel);
        Assert.Equal(1_700_000_000, back.Partitions[0].History!.End);
    }

    [Fact]
    public void Parse_WithoutOptionalSections_UsesDefaults()
    {
        var spec = ClusterFileReader.Parse("""
        {"resources": ["cpu"], "horizon": {"steps": 1, "step_seconds": 60},
         "nodes": [{"id": "a", "capacity": [4]}],
         "partitions": [{"id": "p", "node": "a", "load": [[1]]}]}
        """);
        Assert.Equal(ObjectiveSpec.Default, spec.Objective);
        Assert.Null(spec.Budget.MaxMoves);
        Assert.Equal("default", spec.Nodes[0].Zone);
        Assert.Equal(NodeState.Active, spec.Nodes[0].State);
    }

    [Theory]
    [InlineData("\"horizon\"", "\"horizont\"", "$.horizont", "unknown key")]
    [InlineData("\"state\": \"new\"", "\"state\": \"new\", \"rack\": 3", "$.nodes[2].rack", "unknown key")]
    [InlineData("\"capacity\": [1000, 5e7], \"zone\": \"a\"", "\"capacity\": [0, 5e7], \"zone\": \"a\"", "$.nodes[0].capacity[0]", "positive")]
    [InlineData("\"capacity\": [1000, 5e7], \"zone\": \"a\"", "\"capacity\": [-1, 5e7], \"zone\": \"a\"", "$.nodes[0].capacity[0]", "negative")]
    [InlineData("\"capacity\": [1000, 5e7], \"zone\": \"a\"", "\"capacity\": [1000], \"zone\": \"a\"", "$.nodes[0].capacity", "2 numbers, found 1")]
    [InlineData("\"load\": [[600, 3.1e7], [700, 3.3e7]]", "\"load\": [[600, 3.1e7]]", "$.partitions[0].load", "expected 2 rows")]
    [InlineData("\"load\": [[600, 3.1e7], [700, 3.3e7]]", "\"load\": [[600, 3.1e7], [700]]", "$.partitions[0].load[1]", "2 numbers, found 1")]
    [InlineData("\"load\": [[600, 3.1e7], [700, 3.3e7]]", "\"load\": [[600, 3.1e7], [700, \"x\"]]", "$.partitions[0].load[1][1]", "finite number")]
    [InlineData("\"load\": [[600, 3.1e7], [700, 3.3e7]]", "\"load\": [[600, 3.1e7], [700, -3]]", "$.partitions[0].load[1][1]", "must not be negative, found -3")]
    [InlineData("\"load\": [[600, 3.1e7], [700, 3.3e7]]", "\"load\": [[600, 3.1e7], 700]", "$.partitions[0].load[1]", "an array of 2 numbers, found the number 700")]
    [InlineData("\"id\": \"p1\", \"node\": \"n1\"", "\"id\": \"p1\", \"node\": \"n9\"", "$.partitions[1].node", "unknown node id 'n9'")]
    [InlineData("\"id\": \"p1\", \"node\": \"n1\"", "\"id\": \"p0\", \"node\": \"n1\"", "$.partitions[1].id", "duplicate id 'p0'")]
    [InlineData("{\"id\": \"n1\"", "{\"id\": \"n0\"", "$.nodes[1].id", "duplicate id 'n0'")]
    [InlineData("\"size_bytes\": 1.0e9, \"tenant\": \"t1\"", "\"size_bytes\": 1.0e9, \"tenant\": \"t9\"", "$.partitions[1].tenant", "unknown tenant id 't9'")]
    [InlineData("\"parent\": \"p0\"", "\"parent\": \"p7\"", "$.partitions[2].parent", "unknown partition id 'p7'")]
    [InlineData("\"parent\": \"p0\"", "\"parent\": \"p2\"", "$.partitions[2].parent", "loops back")]
    [InlineData("{\"a\": \"p1\", \"b\": \"p2\"", "{\"a\": \"p1\", \"b\": \"p8\"", "$.affinity[0].b", "unknown partition id 'p8'")]
    [InlineData("\"weight\": 2.0", "\"weight\": -2.0", "$.affinity[0].weight", "positive")]
    [InlineData("\"theta\": 0.8", "\"theta\": 1.5", "$.objective.theta", "(0, 1]")]
    [InlineData("\"w_bal\": 1", "\"w_bal\": -1", "$.objective.w_bal", "negative")]
    [InlineData("\"max_moves\": 100", "\"max_moves\": 1.5", "$.budget.max_moves", "integer")]
    [InlineData("\"backend\": \"auto\"", "\"backend\": \"tpu\"", "$.search.backend", "expected one of")]
    [InlineData("\"steps\": 2", "\"steps\": 0", "$.horizon.steps", "[1, 4096]")]
    [InlineData("\"steps\": 2", "\"steps\": 2, \"forecast_model\": \"prophet\"", "$.horizon.forecast_model", "must be one of snaive, ets, lstm, auto")]
    [InlineData("\"zone_distance\": [{\"a\": \"a\"", "\"zone_distance\": [{\"a\": \"q\"", "$.zone_distance[0].a", "no node is in zone 'q'")]
    [InlineData("\"state\": \"new\"", "\"state\": \"retired\"", "$.nodes[2].state", "active, draining or new")]
    [InlineData("\"resources\": [\"read_rps\", \"read_bytes\"]", "\"resources\": [\"read_rps\", \"read_rps\"]", "$.resources[1]", "duplicate id 'read_rps'")]
    [InlineData("\"id\": \"p1\", \"node\": \"n1\"", "\"id\": \"p1\", \"colour\": 3, \"node\": \"n1\"", "$.partitions[1].colour", "unknown key")]
    [InlineData("\"id\": \"p1\", \"node\": \"n1\"", "\"id\": \"p1\", \"node\": \"n1\", \"node\": \"n0\"", "$.partitions[1].node", "duplicate key")]
    [InlineData("\"id\": \"p1\", \"node\": \"n1\"", "\"id\": \"\", \"node\": \"n1\"", "$.partitions[1].id", "must not be empty")]
    [InlineData("\"size_bytes\": 1.0e9, \"tenant\": \"t1\"", "\"size_bytes\": -1, \"tenant\": \"t1\"", "$.partitions[1].size_bytes", "must not be negative")]
    [InlineData("\"size_bytes\": 1.0e9, \"tenant\": \"t1\"", "\"size_bytes\": \"big\", \"tenant\": \"t1\"", "$.partitions[1].size_bytes", "finite number")]
    [InlineData("\"tags\": {\"topic\": \"orders\"}", "\"tags\": {\"topic\": 3}", "$.partitions[2].tags.topic", "expected a string")]
    [InlineData("\"tags\": {\"topic\": \"orders\"}", "\"tags\": [\"orders\"]", "$.partitions[2].tags", "expected an object of strings")]
    [InlineData("\"tenants\": [", "\"partitions\": [], \"tenants\": [", "$.partitions", "duplicate key")]
    public void Parse_RefusesBadInput_NamingTheFieldAndTheReason(string from, string to, string field, string reason)
    {
        var e = Refused(Edit(from, to));
        Assert.Equal(field, e.Field);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RefusesAGroupThatCannotSitOnDistinctNodes()
    {
        // Three replicas, but the tenant only allows two nodes.
        var json = Edit("\"nodes\": [\"n0\", \"n1\", \"n2\"]", "\"nodes\": [\"n0\", \"n1\"]")
            .Replace("\"node\": \"n0\", \"size_bytes\": 3.0e9, \"parent\": \"p0\"", "\"node\": \"n0\", \"size_bytes\": 3.0e9, \"tenant\": \"t1\", \"group\": \"g0\"", StringComparison.Ordinal);
        var e = Refused(json);
        Assert.Equal("$.groups[0]", e.Field);
        Assert.Contains("3 members but only 2 nodes", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RefusesAGroupThatCannotSpanItsZones()
    {
        var e = Refused(Edit("\"min_zones\": 2", "\"min_zones\": 3"));
        Assert.Equal("$.groups[0].min_zones", e.Field);
        Assert.Contains("too few to span 3 zones", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RefusesAPartitionPinnedToADrainingNode()
    {
        var json = Edit("\"state\": \"active\"},\n    {\"id\": \"n1\"", "\"state\": \"draining\"},\n    {\"id\": \"n1\"")
            .Replace("\"parent\": \"p0\",", "\"parent\": \"p0\", \"pinned\": true,", StringComparison.Ordinal);
        var e = Refused(json);
        Assert.Equal("$.partitions[2].pinned", e.Field);
        Assert.Contains("draining", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RefusesAPartitionWithNeitherLoadNorHistory()
    {
        var e = Refused(Edit("\"load\": [[500, 2e7], [550, 2.1e7]]", "\"pinned\": false"));
        Assert.Equal("$.partitions[2].load", e.Field);
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "expected an object")]
    [InlineData("{\"resources\": [\"a\"], \"resources\": [\"b\"]}", "duplicate key")]
    [InlineData("{\"resources\": [\"a\"], \"horizon\": {\"steps\": 1, \"step_seconds\": 1}, \"nodes\": [], \"partitions\": []}", "at least one node")]
    [InlineData("{\"resources\": [\"a\"], \"horizon\": {\"steps\": 1, \"step_seconds\": 1}, \"nodes\": [{\"id\": \"n0\", \"capacity\": [1]}], \"partitions\": 3}", "$.partitions: expected an array, found the number 3")]
    [InlineData("{\"resources\": [\"a\"], \"horizon\": {\"steps\": 1, \"step_seconds\": 1}, \"nodes\": [{\"id\": \"n0\", \"capacity\": [1]}], \"partitions\": []}", "at least one partition")]
    [InlineData("{\"resources\": [\"a\"], \"horizon\": {\"steps\": 1, \"step_seconds\": 1}, \"nodes\": [{\"id\": \"n0\", \"capacity\": [1]}], \"partitions\": [7]}", "$.partitions[0]: expected an object, found the number 7")]
    [InlineData("{\"resources\": [\"a\"]} {}", "not valid JSON")]
    [InlineData("\"cluster\"", "expected an object, found a string")]
    public void Parse_RefusesMalformedDocuments(string json, string reason)
    {
        Assert.Contains(reason, Refused(json).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ASyntaxErrorInsideThePartitions_NamesItsLine()
    {
        var e = Refused(Edit("\"size_bytes\": 1.0e9, \"tenant\"", "\"size_bytes\": 1.0e9,, \"tenant\""));
        Assert.StartsWith("$ (line 12, byte ", e.Field, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", e.Reason, StringComparison.Ordinal);

        // The position once came twice, 1-based in the field and the parser's 0-based one at the end of its words.
        Assert.DoesNotContain("LineNumber", e.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", e.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("reader options", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PartitionsRepeatingNames_ShareOneStringForEach()
    {
        var spec = ClusterFileReader.Parse(Clusters.Small.Replace("\"parent\": \"p0\", \"tags\"", "\"tenant\": \"t1\", \"parent\": \"p0\", \"tags\"", StringComparison.Ordinal));
        Assert.Same(spec.Partitions[0].Node, spec.Partitions[2].Node);
        Assert.Same(spec.Nodes[0].Id, spec.Partitions[0].Node);
        Assert.Same(spec.Partitions[0].Tenant, spec.Partitions[2].Tenant);
        Assert.Empty(spec.Partitions[0].Tags);
        Assert.Equal("orders", spec.Partitions[2].Tags["topic"]);
    }

    [Fact]
    public void ReadFile_RefusesAMissingFile_NamingIt()
    {
        var e = Assert.Throws<ClusterFileException>(() => ClusterFileReader.ReadFile("/nonexistent/cluster.json"));
        Assert.Contains("/nonexistent/cluster.json", e.Message, StringComparison.Ordinal);
    }
}
