using System.Globalization;
using System.Text.Json;
using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Planning;

/// <summary>
/// A plan as Kafka's partition reassignment file (`kafka-reassign-partitions.sh --reassignment-json-file`, version
/// 1), for clusters Shardcast plans but does not drive. Each Kafka partition is the group of cluster-file partitions
/// tagged with the same `topic` and `partition` (one per replica; the leader first: the member tagged
/// `leader: "true"`, else the first listed); brokers are nodes whose id is a broker id (`3`) or ends in one
/// (`broker-3`). Only Kafka partitions whose replica set changes are written, ordered by the earliest wave of their
/// moves. The throttle suggested is the most bytes any broker sends or receives, over the time window given.
/// </summary>
public static class KafkaReassignment
{
    public sealed record Result(byte[] Json, int Partitions, double MaxBrokerBytes, long SuggestedThrottleBytesPerSecond);

    public static Result Build(Plan plan, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "the window the reassignment should take is positive");
        }

        var spec = plan.Input.Spec;
        var brokers = spec.Nodes.ToDictionary(n => n.Id, n => BrokerId(n.Id), StringComparer.Ordinal);
        var groups = new Dictionary<(string Topic, int Partition), List<int>>();
        for (int i = 0; i < spec.Partitions.Count; i++)
        {
            var p = spec.Partitions[i];
            if (!p.Tags.TryGetValue("topic", out string? topic) || !p.Tags.TryGetValue("partition", out string? number))
            {
                throw new ClusterFileException($"$.partitions[{i}].tags", $"a Kafka reassignment needs each partition tagged with its topic and partition number, found {(p.Tags.Count == 0 ? "no tags" : string.Join(", ", p.Tags.Keys))}");
            }

            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int kafkaPartition))
            {
                throw new ClusterFileException($"$.partitions[{i}].tags.partition", $"expected a Kafka partition number, found '{number}'");
            }

            var key = (topic, kafkaPartition);
            (groups.TryGetValue(key, out var members) ? members : groups[key] = []).Add(i);
        }

        var waveOf = plan.Moves.GroupBy(m => m.Partition, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Min(m => m.Wave), StringComparer.Ordinal);
        var changed = new List<(int Wave, string Topic, int Partition, int[] Replicas)>();
        foreach (var ((topic, number), members) in groups)
        {
            var ordered = members.OrderByDescending(i => spec.Partitions[i].Tags.TryGetValue("leader", out string? l) && l == "true").ToList();
            int[] before = [.. ordered.Select(i => brokers[spec.Partitions[i].Node])];
            int[] after = [.. ordered.Select(i => brokers[spec.Nodes[plan.Assignment[i]].Id])];
            if (!before.SequenceEqual(after))
            {
                int wave = ordered.Select(i => waveOf.GetValueOrDefault(spec.Partitions[i].Id, int.MaxValue)).Min();
                changed.Add((wave, topic, number, after));
            }
        }

        var perBroker = new Dictionary<int, double>();
        foreach (var move in plan.Moves)
        {
            perBroker[brokers[move.From]] = perBroker.GetValueOrDefault(brokers[move.From]) + move.Bytes;
            perBroker[brokers[move.To]] = perBroker.GetValueOrDefault(brokers[move.To]) + move.Bytes;
        }

        double maxBroker = perBroker.Count == 0 ? 0 : perBroker.Values.Max();
        long throttle = (long)Math.Ceiling(maxBroker / window.TotalSeconds);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteStartArray("partitions");
            foreach (var (_, topic, number, replicas) in changed.OrderBy(c => c.Wave).ThenBy(c => c.Topic, StringComparer.Ordinal).ThenBy(c => c.Partition))
            {
                writer.WriteStartObject();
                writer.WriteString("topic", topic);
                writer.WriteNumber("partition", number);
                writer.WriteStartArray("replicas");
                foreach (int broker in replicas)
                {
                    writer.WriteNumberValue(broker);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("log_dirs");
                foreach (int _ in replicas)
                {
                    writer.WriteStringValue("any");
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return new Result(buffer.ToArray(), changed.Count, maxBroker, throttle);
    }

    /// <summary>The broker id a node id names: all digits, or digits after its last '-' or '_'.</summary>
    public static int BrokerId(string node)
    {
        ArgumentNullException.ThrowIfNull(node);
        int cut = node.LastIndexOfAny(['-', '_']);
        string digits = cut < 0 ? node : node[(cut + 1)..];
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int id)
            ? id
            : throw new ClusterFileException("$.nodes", $"node '{node}' names no broker id: a Kafka reassignment needs node ids that are broker ids (3) or end in one (broker-3)");
    }
}
