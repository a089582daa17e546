using System.Text.Json;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Store;
using Shardcast.Engine.Planning;

namespace Shardcast.DataPlane.Layout;

/// <summary>
/// A plan's moves as moves of slot ranges on a store: partitions named by slot range
/// (<see cref="StorePartition.ParseId"/>), nodes by address or by the store's node id. Refuses, naming it, a move
/// whose partition names no range or whose node is not a primary of the store.
/// </summary>
public static class StorePlan
{
    public static MigrationPlan From(IEnumerable<PlannedMove> moves, SlotMap map)
    {
        ArgumentNullException.ThrowIfNull(moves);
        ArgumentNullException.ThrowIfNull(map);
        return new MigrationPlan([.. moves.Select((m, i) => new RangeMove(
            m.Partition,
            Parse(m.Partition, i),
            Resolve(map, m.From, $"moves[{i}].from"),
            Resolve(map, m.To, $"moves[{i}].to"),
            m.Bytes,
            m.Wave))]);
    }

    /// <summary>The `moves` of a plan file (docs/plan-file.md), whatever made it.</summary>
    public static MigrationPlan FromPlanFile(ReadOnlyMemory<byte> utf8, SlotMap map)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the plan file is not JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("moves", out var moves) || moves.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("$.moves: a plan file has an array of moves (docs/plan-file.md)");
            }

            var planned = new List<PlannedMove>();
            int i = 0;
            foreach (var move in moves.EnumerateArray())
            {
                planned.Add(new PlannedMove(
                    Text(move, "partition", i),
                    Text(move, "from", i),
                    Text(move, "to", i),
                    move.TryGetProperty("bytes", out var bytes) && bytes.ValueKind == JsonValueKind.Number ? bytes.GetDouble() : 0,
                    move.TryGetProperty("wave", out var wave) && wave.ValueKind == JsonValueKind.Number && wave.TryGetInt32(out int w) ? w : 0));
                i++;
            }

            return From(planned, map);
        }
    }

    private static string Text(JsonElement move, string field, int i) =>
        move.ValueKind == JsonValueKind.Object && move.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"$.moves[{i}].{field}: expected a string");

    private static SlotRange Parse(string partition, int i)
    {
        try
        {
            return StorePartition.ParseId(partition);
        }
        catch (FormatException e)
        {
            throw new FormatException($"$.moves[{i}].partition: {e.Message}", e);
        }
    }

    /// <summary>A node by address (host:port) or by node id.</summary>
    public static string Resolve(SlotMap map, string name, string where)
    {
        ArgumentNullException.ThrowIfNull(map);
        return map.Nodes.FirstOrDefault(n => StoreSnapshot.NodeName(n) == name || n.Id == name)?.Id
            ?? throw new FormatException($"$.{where}: node '{name}' is not a primary of the store (its primaries: {string.Join(", ", map.Nodes.Select(StoreSnapshot.NodeName))})");
    }
}
