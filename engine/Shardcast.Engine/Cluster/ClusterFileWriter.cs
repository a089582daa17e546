using System.Text.Json;
using Shardcast.Engine.Json;

namespace Shardcast.Engine.Cluster;

/// <summary>Writes a <see cref="ClusterSpec"/> as the cluster file, in the shape <see cref="ClusterFileReader"/> reads.</summary>
public static class ClusterFileWriter
{
    public static void Write(ClusterSpec spec, Stream stream, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented });
        w.WriteStartObject();
        w.WriteStrings("resources", spec.Resources);
        w.WriteStartObject("horizon");
        w.WriteNumber("steps", spec.Horizon.Steps);
        w.WriteNumber("step_seconds", spec.Horizon.StepSeconds);
        if (spec.Horizon.ForecastModel != HorizonSpec.DefaultForecastModel)
        {
            w.WriteString("forecast_model", spec.Horizon.ForecastModel);
        }

        w.WriteEndObject();

        w.WriteStartArray("nodes");
        foreach (var n in spec.Nodes)
        {
            w.WriteStartObject();
            w.WriteString("id", n.Id);
            w.WriteNumbers("capacity", n.Capacity);
            w.WriteString("zone", n.Zone);
            w.WriteString("state", n.State.ToString().ToLowerInvariant());
            if (n.Safety is { } safety)
            {
                w.WriteNumbers("safety", safety);
            }

            WriteOptional(w, "neighborhood", n.Neighborhood);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("partitions");
        foreach (var p in spec.Partitions)
        {
            WritePartition(w, p);
        }

        w.WriteEndArray();

        w.WriteStartArray("tenants");
        foreach (var t in spec.Tenants)
        {
            w.WriteStartObject();
            w.WriteString("id", t.Id);
            w.WriteStrings("nodes", t.Nodes);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        if (spec.Restructure != RestructureSpec.Default)
        {
            w.WriteStartObject("restructure");
            if (spec.Restructure.Enabled is { } enabled)
            {
                w.WriteBoolean("enabled", enabled);
            }

            w.WriteNumber("split_share", spec.Restructure.SplitShare);
            w.WriteNumber("merge_share", spec.Restructure.MergeShare);
            w.WriteEndObject();
        }

        if (spec.Events.Count > 0)
        {
            w.WriteStartArray("events");
            foreach (var e in spec.Events)
            {
                w.WriteStartObject();
                w.WriteString("tag", e.Tag);
                w.WriteNumber("start", e.Start);
                w.WriteNumber("end", e.End);
                if (e.Multiplier is { } m)
                {
                    w.WriteNumber("multiplier", m);
                }

                if (e.Partitions.Count > 0)
                {
                    w.WriteStrings("partitions", e.Partitions);
                }

                if (e.Tenant is not null)
                {
                    w.WriteString("tenant", e.Tenant);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteStartArray("groups");
        foreach (var g in spec.Groups)
        {
            w.WriteStartObject();
            w.WriteString("id", g.Id);
            w.WriteNumber("min_zones", g.MinZones);
            if (g.DependsOn.Count > 0)
            {
                w.WriteStrings("depends_on", g.DependsOn);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("affinity");
        foreach (var a in spec.Affinity)
        {
            w.WriteStartObject();
            w.WriteString("a", a.A);
            w.WriteString("b", a.B);
            w.WriteNumber("weight", a.Weight);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("zone_distance");
        foreach (var d in spec.ZoneDistance)
        {
            w.WriteStartObject();
            w.WriteString("a", d.A);
            w.WriteString("b", d.B);
            w.WriteNumber("cost", d.Cost);
            w.WriteEndObject();
        }

        w.WriteEndArray();

        var o = spec.Objective;
        w.WriteStartObject("objective");
        w.WriteNumber("w_bal", o.WBalance);
        w.WriteNumber("w_over", o.WOver);
        w.WriteNumber("theta", o.Theta);
        w.WriteNumber("w_move", o.WMove);
        w.WriteNumber("w_aff", o.WAffinity);
        w.WriteNumber("w_lin", o.WLineage);
        w.WriteNumber("quantile", o.Quantile);
        WriteExtendedObjective(w, o);
        w.WriteEndObject();

        if (spec.TransientResources.Count > 0)
        {
            w.WriteStrings("transient_resources", spec.TransientResources);
        }

        if (spec.NodeMoveCost.Count > 0 || spec.NodeMoveCostMatrix is not null)
        {
            w.WriteStartArray("node_move_cost");
            foreach (var c in NodeMoveCosts(spec))
            {
                w.WriteStartObject();
                w.WriteString("from", c.From);
                w.WriteString("to", c.To);
                w.WriteNumber("cost", c.Cost);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteStartObject("budget");
        if (spec.Budget.MaxMoves is { } moves)
        {
            w.WriteNumber("max_moves", moves);
        }

        if (spec.Budget.MaxBytes is { } bytes)
        {
            w.WriteNumber("max_bytes", bytes);
        }

        w.WriteEndObject();

        w.WriteStartObject("search");
        w.WriteString("backend", spec.Search.Backend);
        w.WriteNumber("time_ms", spec.Search.TimeMs);
        w.WriteNumber("seed", spec.Search.Seed);
        w.WriteString("algorithm", spec.Search.Algorithm);
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
    }

    private static void WritePartition(Utf8JsonWriter w, PartitionSpec p)
    {
        w.WriteStartObject();
        w.WriteString("id", p.Id);
        w.WriteString("node", p.Node);
        w.WriteNumber("size_bytes", p.SizeBytes);
        WriteOptional(w, "tenant", p.Tenant);
        WriteOptional(w, "group", p.Group);
        WriteOptional(w, "parent", p.Parent);
        if (p.MoveCost > 0)
        {
            w.WriteNumber("move_cost", p.MoveCost);
        }

        if (p.Pinned)
        {
            w.WriteBoolean("pinned", true);
        }

        if (p.Tags.Count > 0)
        {
            w.WriteStartObject("tags");
            foreach (var (k, v) in p.Tags)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
        }

        if (p.Load is { } load)
        {
            WriteMatrix(w, "load", load);
        }

        if (p.History is { } history)
        {
            WriteHistory(w, history);
        }

        if (p.Segments.Count > 0)
        {
            w.WriteStartArray("segments");
            foreach (var s in p.Segments)
            {
                w.WriteStartObject();
                w.WriteString("id", s.Id);
                if (s.SizeBytes is { } size)
                {
                    w.WriteNumber("size_bytes", size);
                }

                if (s.Load is { } segmentLoad)
                {
                    WriteMatrix(w, "load", segmentLoad);
                }

                if (s.History is { } h)
                {
                    WriteHistory(w, h);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WriteHistory(Utf8JsonWriter w, HistorySpec history)
    {
        w.WriteStartObject("history");
        w.WriteNumber("step_seconds", history.StepSeconds);
        if (history.End is { } end)
        {
            w.WriteNumber("end", end);
        }

        WriteMatrix(w, "values", history.Values);
        w.WriteEndObject();
    }

    /// <summary>The optional terms, written only where they differ from their defaults so native files stay as they were.</summary>
    private static void WriteExtendedObjective(Utf8JsonWriter w, ObjectiveSpec o)
    {
        if (o.HardCapacity)
        {
            w.WriteBoolean("hard_capacity", true);
        }

        if (o.WSafety is { } safety)
        {
            w.WriteNumbers("w_safety", safety);
        }

        if (o.ResourceBalance.Count > 0)
        {
            w.WriteStartArray("resource_balance");
            foreach (var b in o.ResourceBalance)
            {
                w.WriteStartObject();
                w.WriteString("a", b.A);
                w.WriteString("b", b.B);
                w.WriteNumber("target", b.Target);
                w.WriteNumber("weight", b.Weight);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        foreach (var (name, weight) in new[] { ("w_partition_move", o.WPartitionMove), ("w_group_move", o.WGroupMove), ("w_node_move", o.WNodeMove) })
        {
            if (weight > 0)
            {
                w.WriteNumber(name, weight);
            }
        }
    }

    /// <summary>The listed costs, or a matrix's non-zero pairs by node id.</summary>
    private static IEnumerable<NodeMoveCostSpec> NodeMoveCosts(ClusterSpec spec)
    {
        if (spec.NodeMoveCostMatrix is not { } matrix)
        {
            return spec.NodeMoveCost;
        }

        int n = spec.Nodes.Count;
        return Enumerable.Range(0, matrix.Count).Where(i => matrix[i] != 0).Select(i => new NodeMoveCostSpec(spec.Nodes[i / n].Id, spec.Nodes[i % n].Id, matrix[i]));
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteMatrix(Utf8JsonWriter w, string name, double[][] rows)
    {
        w.WriteStartArray(name);
        foreach (var row in rows)
        {
            w.WriteStartArray();
            foreach (double v in row)
            {
                w.WriteNumberValue(v);
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
    }
}
