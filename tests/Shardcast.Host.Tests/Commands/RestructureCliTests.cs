using System.Globalization;
using System.Text.Json;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

/// <summary>`shardcast plan` on a cluster file whose hot partition has segments: splits, ghosts and merges, from the CLI.</summary>
public sealed class RestructureCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("shardcast-restructure-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Rows(Func<int, double> load) =>
        "[" + string.Join(", ", Enumerable.Range(0, 12).Select(h => string.Create(CultureInfo.InvariantCulture, $"[{load(h):0.###}]"))) + "]";

    private string Cluster()
    {
        string path = Path.Combine(_folder, "cluster.json");
        File.WriteAllText(path, $$"""
        {
          "resources": ["rps"],
          "horizon": {"steps": 12, "step_seconds": 300},
          "nodes": [{"id": "n0", "capacity": [1000], "zone": "a"}, {"id": "n1", "capacity": [1000], "zone": "a"}, {"id": "n2", "capacity": [1000], "zone": "b"}],
          "partitions": [
            {"id": "orders", "node": "n0", "size_bytes": 4e9, "segments": [
              {"id": "s0", "load": {{Rows(_ => 100)}}}, {"id": "s1", "load": {{Rows(_ => 100)}}},
              {"id": "s2", "load": {{Rows(h => 100 + (500 * Math.Min(h, 8) / 8.0))}}}, {"id": "s3", "load": {{Rows(_ => 100)}}}]},
            {"id": "users", "node": "n0", "size_bytes": 1e9, "load": {{Rows(_ => 300)}}},
            {"id": "logs", "node": "n1", "size_bytes": 1e9, "load": {{Rows(_ => 50)}}},
            {"id": "logs.1", "node": "n1", "size_bytes": 1e8, "parent": "logs", "load": {{Rows(_ => 10)}}},
            {"id": "cache", "node": "n2", "size_bytes": 1e9, "load": {{Rows(_ => 100)}}}
          ],
          "objective": {"theta": 0.8}
        }
        """);
        return path;
    }

    [Fact]
    public void Plan_splits_the_hot_partition_merges_the_cold_child_and_stages_ghosts()
    {
        string plan = Path.Combine(_folder, "plan.json");
        var (code, output, error) = CliRunner.Run("plan", "--input", Cluster(), "--output", plan, "--steps", "20000", "--seed", "2");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("split: orders at segment s2 into orders and orders.1", output, StringComparison.Ordinal);
        Assert.Contains("merge: logs + logs.1 into logs (cold: together they peak at 6.0% of a node", output, StringComparison.Ordinal);
        Assert.Contains("ghost: orders.1 on", output, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(File.ReadAllText(plan));
        var root = json.RootElement;
        Assert.Equal(["orders", "orders.1"], root.GetProperty("splits")[0].GetProperty("children").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("logs", root.GetProperty("merges")[0].GetProperty("into").GetString());
        Assert.True(root.GetProperty("ghosts").GetArrayLength() >= 1);
        Assert.Equal(2, root.GetProperty("ghosts")[0].GetProperty("ready_by_step").GetInt32());
        Assert.True(root.GetProperty("peak_utilisation_after").GetDouble() <= 0.8 + 1e-9);
        var assignment = root.GetProperty("assignment");
        Assert.True(assignment.TryGetProperty("orders.1.1", out _));
        Assert.False(assignment.TryGetProperty("logs.1", out _));

        // --no-restructure places the partitions as they are.
        var (code2, whole, error2) = CliRunner.Run("plan", "--input", Cluster(), "--output", plan, "--steps", "20000", "--seed", "2", "--no-restructure");
        Assert.True(code2 == ExitCodes.Ok, error2);
        Assert.DoesNotContain("split:", whole, StringComparison.Ordinal);
        using var json2 = JsonDocument.Parse(File.ReadAllText(plan));
        Assert.Equal(0, json2.RootElement.GetProperty("splits").GetArrayLength());
        Assert.True(json2.RootElement.GetProperty("peak_utilisation_after").GetDouble() > 0.8);
    }
}
