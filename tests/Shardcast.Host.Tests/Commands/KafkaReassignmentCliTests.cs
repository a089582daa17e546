using System.Text.Json;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

/// <summary>`shardcast plan --emit kafka-reassignment` on a cluster of Kafka partitions (replicas as groups) on brokers.</summary>
public class KafkaReassignmentCliTests
{
    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    /// <summary>Topic "orders", 8 partitions, 2 replicas each, every replica on broker-1 or broker-2 (the leaders on broker-1, which runs hot); broker-3 and broker-4 empty.</summary>
    private static string ClusterFile(bool tagged = true)
    {
        var partitions = new List<object>();
        for (int p = 0; p < 8; p++)
        {
            for (int r = 0; r < 2; r++)
            {
                var tags = tagged ? new Dictionary<string, string> { ["topic"] = "orders", ["partition"] = $"{p}", ["leader"] = r == 0 ? "true" : "false" } : [];
                partitions.Add(new { id = $"orders-{p}-r{r}", node = $"broker-{r + 1}", size_bytes = 2e9, group = $"orders-{p}", tags, load = new[] { new[] { r == 0 ? 30.0 : 10.0 } } });
            }
        }

        return JsonSerializer.Serialize(new
        {
            resources = new[] { "net" },
            horizon = new { steps = 1, step_seconds = 60 },
            nodes = Enumerable.Range(1, 4).Select(b => new { id = $"broker-{b}", capacity = new[] { 100.0 } }),
            partitions,
        });
    }

    [Fact]
    public void The_reassignment_names_each_moved_kafka_partition_with_its_new_replicas_leader_first_and_suggests_a_throttle()
    {
        string folder = Directory.CreateTempSubdirectory("shardcast-kafka-").FullName;
        try
        {
            string input = Path.Combine(folder, "cluster.json"), output = Path.Combine(folder, "reassignment.json");
            File.WriteAllText(input, ClusterFile());
            var (code, stdout, stderr) = Run("plan", "--input", input, "--emit", "kafka-reassignment", "--output", output, "--time-ms", "500", "--kafka-window-s", "600");
            Assert.True(code == ExitCodes.Ok, stdout + stderr);

            using var json = JsonDocument.Parse(File.ReadAllText(output));
            Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
            var moved = json.RootElement.GetProperty("partitions").EnumerateArray().ToList();
            Assert.NotEmpty(moved);
            foreach (var p in moved)
            {
                Assert.Equal("orders", p.GetProperty("topic").GetString());
                int[] replicas = [.. p.GetProperty("replicas").EnumerateArray().Select(r => r.GetInt32())];
                Assert.Equal(2, replicas.Length);
                Assert.Equal(2, replicas.Distinct().Count());
                Assert.All(replicas, b => Assert.InRange(b, 1, 4));
                Assert.False(replicas is [1, 2], "an unchanged partition was written");
                Assert.Equal(["any", "any"], p.GetProperty("log_dirs").EnumerateArray().Select(d => d.GetString()));
            }

            Assert.Matches(@"--reassignment-json-file .*reassignment\.json --execute --throttle [1-9][0-9]*", stdout);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_cluster_whose_partitions_name_no_kafka_partition_is_refused_naming_the_field()
    {
        string folder = Directory.CreateTempSubdirectory("shardcast-kafka-").FullName;
        try
        {
            string input = Path.Combine(folder, "cluster.json");
            File.WriteAllText(input, ClusterFile(tagged: false));
            var (code, _, stderr) = Run("plan", "--input", input, "--emit", "kafka-reassignment", "--output", Path.Combine(folder, "r.json"), "--time-ms", "200");
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains("$.partitions[0].tags: a Kafka reassignment needs each partition tagged with its topic and partition number", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
