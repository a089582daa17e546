using System.Text;
using System.Text.Json;

namespace Shardcast.DataPlane.Migration;

/// <summary>
/// A durable record of each move's steps: one JSON line per step (move id, slot, source and target node ids, step,
/// time), appended and flushed to disk before the step runs, so that a controller killed mid-move knows, on restart,
/// which moves to finish (flipped) and which to roll back (anything earlier).
/// </summary>
public sealed class MoveJournal(string path, TimeProvider? clock = null)
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public string Path { get; } = path;

    public void Record(string move, int slot, string source, string target, string step)
    {
        string line = JsonSerializer.Serialize(new JournalEntry(move, slot, source, target, step, _clock.GetUtcNow().ToUnixTimeMilliseconds()), JournalJson.Default.JournalEntry) + "\n";
        lock (_lock)
        {
            using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Each move's last recorded step, in the order the moves began.</summary>
    public IReadOnlyList<JournalEntry> LastSteps()
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        var last = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (string line in File.ReadLines(Path))
        {
            if (line.Length == 0)
            {
                continue;
            }

            JournalEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize(line, JournalJson.Default.JournalEntry);
            }
            catch (JsonException)
            {
                // A line cut by a crash while it was written: its step never ran.
                continue;
            }

            if (entry is null)
            {
                continue;
            }

            if (!last.ContainsKey(entry.Move))
            {
                order.Add(entry.Move);
            }

            last[entry.Move] = entry;
        }

        return [.. order.Select(m => last[m])];
    }
}

/// <summary>One journal line.</summary>
public sealed record JournalEntry(string Move, int Slot, string Source, string Target, string Step, long AtMs);

[System.Text.Json.Serialization.JsonSerializable(typeof(JournalEntry))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class JournalJson : System.Text.Json.Serialization.JsonSerializerContext;
