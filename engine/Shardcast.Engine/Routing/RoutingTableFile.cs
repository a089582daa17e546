using System.Text.Json;

namespace Shardcast.Engine.Routing;

/// <summary>
/// A routing table on disk: `{"epoch": N, "entries": [{"partition", "node", "epoch"}]}`. Written to a temporary file,
/// synced and renamed over the old one, so a crash leaves the old table or the new one, never half of either; read
/// strictly, so a damaged file is refused with its path and what is wrong rather than half-loaded.
/// </summary>
internal static class RoutingTableFile
{
    public static void Write(string path, ulong epoch, IReadOnlyList<(string Partition, string Node, ulong Epoch)> entries)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", epoch);
                json.WriteStartArray("entries");
                foreach (var (partition, node, at) in entries.OrderBy(e => e.Partition, StringComparer.Ordinal))
                {
                    json.WriteStartObject();
                    json.WriteString("partition", partition);
                    json.WriteString("node", node);
                    json.WriteNumber("epoch", at);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public static (ulong Epoch, IReadOnlyList<(string Partition, string Node, ulong Epoch)> Entries) Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            ulong epoch = root.GetProperty("epoch").GetUInt64();
            var entries = new List<(string, string, ulong)>();
            foreach (var entry in root.GetProperty("entries").EnumerateArray())
            {
                string partition = entry.GetProperty("partition").GetString() ?? throw new InvalidDataException("an entry without a partition");
                string node = entry.GetProperty("node").GetString() ?? throw new InvalidDataException($"partition '{partition}' without a node");
                ulong at = entry.GetProperty("epoch").GetUInt64();
                if (at > epoch || at == 0)
                {
                    throw new InvalidDataException($"partition '{partition}' changed at epoch {at}, outside the table's 1..{epoch}");
                }

                entries.Add((partition, node, at));
            }

            return (epoch, entries);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new RoutingStateException($"{path}: not a routing table ({e.Message}); move it away to start the table empty");
        }
    }
}
