using System.Text.Json;
using Shardcast.DataPlane.Store;
using Shardcast.Engine.Cluster;

namespace Shardcast.DataPlane.Layout;

/// <summary>
/// Writes a <see cref="StoreSnapshot"/> as a cluster file (docs/cluster-file.md): one resource, `ops` (operations per
/// second, as counted by the client layer) or, where no operation was counted (a cluster attached by address whose
/// clients do not use Shardcast's client layer), `bytes` (each partition's stored bytes); a horizon of one step the
/// length of the observation window; nodes named by address, partitions named by slot range with their bytes. The planner then plans a store like any
/// cluster, and `shardcast plan` can be run on the file by hand.
/// </summary>
public static class StoreClusterFile
{
    /// <summary>The target utilisation the default capacity is set from (the objective's default theta).</summary>
    public const double DefaultTheta = 0.8;

    /// <summary>
    /// Node capacity when none is given: the mean node's load over <see cref="DefaultTheta"/>, so that an even spread
    /// sits exactly at the target utilisation and the hottest node shows by how much it is over.
    /// </summary>
    public static double DefaultCapacity(StoreSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        string resource = Resource(snapshot);
        double total = snapshot.Partitions.Sum(p => Load(p, resource));
        return total <= 0 ? 1 : total / snapshot.Map.Nodes.Count / DefaultTheta;
    }

    /// <summary>The resource the store is planned by: `ops` where operations were counted, else `bytes`.</summary>
    public static string Resource(StoreSnapshot snapshot) =>
        snapshot.Partitions.Any(p => p.OperationsPerSecond > 0) ? "ops" : "bytes";

    /// <summary>A partition's load in <see cref="Resource"/>'s unit.</summary>
    public static double Load(PartitionObservation partition, string resource) =>
        resource == "ops" ? partition.OperationsPerSecond : partition.Bytes;

    public static byte[] ToUtf8(StoreSnapshot snapshot, double nodeCapacity, IReadOnlyDictionary<string, object>? search = null) =>
        ToUtf8(snapshot, nodeCapacity, search, null);

    /// <summary>
    /// The cluster file with each partition's observed load history (<paramref name="forecast"/>: the per-step values
    /// of a partition, oldest first, the step length and the horizon to plan over) in place of its one observed load:
    /// the planner then forecasts every partition over the horizon and plans for the forecast (the control loop).
    /// </summary>
    public static byte[] ToUtf8(StoreSnapshot snapshot, double nodeCapacity, IReadOnlyDictionary<string, object>? search, ForecastInput? forecast)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!double.IsFinite(nodeCapacity) || nodeCapacity <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeCapacity), nodeCapacity, "a node's capacity is a positive number (operations per second, or bytes)");
        }

        string resource = Resource(snapshot);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("resources");
            writer.WriteStringValue(resource);
            writer.WriteEndArray();
            writer.WriteStartObject("horizon");
            writer.WriteNumber("steps", forecast?.Horizon ?? 1);
            writer.WriteNumber("step_seconds", forecast?.StepSeconds ?? Math.Max(1, Math.Round(snapshot.Window.TotalSeconds, 3)));
            writer.WriteEndObject();
            if (forecast is not null)
            {
                writer.WriteStartObject("objective");
                writer.WriteNumber("quantile", forecast.Quantile);
                writer.WriteEndObject();
            }

            writer.WriteStartArray("nodes");
            foreach (var node in snapshot.Map.Nodes.OrderBy(n => n.EndPoint.Port))
            {
                writer.WriteStartObject();
                writer.WriteString("id", StoreSnapshot.NodeName(node));
                writer.WriteStartArray("capacity");
                writer.WriteNumberValue(nodeCapacity);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("partitions");
            foreach (var p in snapshot.Partitions)
            {
                writer.WriteStartObject();
                writer.WriteString("id", p.Partition.Id);
                writer.WriteString("node", StoreSnapshot.NodeName(p.Partition.Owner));
                writer.WriteNumber("size_bytes", Math.Round(p.Bytes));
                writer.WriteStartObject("tags");
                writer.WriteString("keys", p.Keys.ToString(System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteEndObject();
                if (forecast?.History(p.Partition) is { Length: > 0 } values)
                {
                    writer.WriteStartObject("history");
                    writer.WriteNumber("step_seconds", forecast.StepSeconds);
                    writer.WriteStartArray("values");
                    foreach (double value in values)
                    {
                        writer.WriteStartArray();
                        writer.WriteNumberValue(Math.Round(Math.Max(0, value), 3));
                        writer.WriteEndArray();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }
                else
                {
                    writer.WriteStartArray("load");
                    for (int h = 0; h < (forecast?.Horizon ?? 1); h++)
                    {
                        writer.WriteStartArray();
                        writer.WriteNumberValue(Math.Round(Load(p, resource), 3));
                        writer.WriteEndArray();
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (search is { Count: > 0 })
            {
                writer.WriteStartObject("search");
                foreach (var (name, value) in search)
                {
                    switch (value)
                    {
                        case string s: writer.WriteString(name, s); break;
                        case int i: writer.WriteNumber(name, i); break;
                        case long l: writer.WriteNumber(name, l); break;
                        default: throw new ArgumentException($"search.{name}: a string or an integer, found {value?.GetType().Name ?? "null"}", nameof(search));
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static ClusterSpec ToSpec(StoreSnapshot snapshot, double nodeCapacity) => ClusterFileReader.Parse(ToUtf8(snapshot, nodeCapacity));
}

/// <summary>What a cluster file needs to plan for forecasts: each partition's history (oldest first), the step, the horizon and the quantile.</summary>
public sealed record ForecastInput(Func<StorePartition, double[]> History, double StepSeconds, int Horizon, double Quantile);
