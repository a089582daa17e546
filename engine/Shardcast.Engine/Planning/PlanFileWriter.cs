using System.Text.Json;
using Shardcast.Engine.Json;
using Shardcast.Kernels;
using Shardcast.Kernels.Problem;

namespace Shardcast.Engine.Planning;

/// <summary>Writes the plan file (docs/plan-file.md describes every field).</summary>
public static class PlanFileWriter
{
    /// <summary>The plan file as people read it: indented.</summary>
    public static void Write(Plan plan, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        Write(plan, writer);
    }

    public static string ToJson(Plan plan)
    {
        using var buffer = new MemoryStream();
        Write(plan, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The plan file's JSON un-indented, as UTF-8 bytes, for a program to read (the socket's answer is built from it).</summary>
    public static ReadOnlyMemory<byte> ToUtf8(Plan plan)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(plan, writer);
        }

        return buffer.WrittenMemory;
    }

    public static void Write(Plan plan, Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(writer);
        var spec = plan.Input.Spec;
        writer.WriteStartObject();
        writer.WriteBoolean("feasible", plan.Feasible);
        writer.WriteString("backend", plan.Search.Backend);
        writer.WriteString("algorithm", AlgorithmName(plan.Search.Algorithm));
        if (plan.Search.Fallback is { } fallback)
        {
            writer.WriteStartObject("backend_fallback");
            writer.WriteString("requested", fallback.Requested);
            writer.WriteString("reason", fallback.Reason);
            writer.WriteEndObject();
        }
        if (plan.Input.ForecastServed is { } served)
        {
            writer.WriteString("forecast", served);
        }

        writer.WriteNumber("search_ms", Math.Round(plan.Search.Statistics.Elapsed.TotalMilliseconds, 1));
        writer.WriteNumber("plan_ms", Math.Round(plan.Elapsed.TotalMilliseconds, 1));
        writer.WriteNumber("evaluated_moves", plan.Search.Statistics.EvaluatedMoves);
        writer.WriteNumber("move_count", plan.Moves.Count);
        writer.WriteNumber("moved_bytes", plan.After.MovedBytes);
        writer.WriteBoolean("sequence_safe", plan.SequenceSafe);
        if (plan.Curve is { } curve)
        {
            writer.WriteStartArray("curve");
            foreach (var point in curve)
            {
                writer.WriteStartObject();
                if (point.BudgetBytes is { } budget)
                {
                    writer.WriteNumber("budget_bytes", budget);
                }
                else
                {
                    writer.WriteNull("budget_bytes");
                }

                writer.WriteNumber("moved_bytes", point.MovedBytes);
                writer.WriteNumber("move_count", point.Moves);
                writer.WriteNumber("peak_utilisation", Math.Round(point.PeakUtilisation, 6));
                writer.WriteNumber("balance", Math.Round(point.Balance, 6));
                writer.WriteNumber("cost", Math.Round(point.Cost, 6));
                writer.WriteBoolean("feasible", point.Feasible);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (plan.Guard is { } guard)
        {
            writer.WriteStartObject("movement_guard");
            writer.WriteString("chosen", guard.Chosen);
            writer.WriteNumber("undone_moves", guard.UndoneMoves);
            WriteSummary(writer, "search", guard.Search);
            WriteSummary(writer, "greedy", guard.Greedy);
            writer.WriteEndObject();
        }

        writer.WriteStartObject("assignment");
        for (int p = 0; p < plan.Assignment.Length; p++)
        {
            writer.WriteString(spec.Partitions[p].Id, spec.Nodes[plan.Assignment[p]].Id);
        }

        writer.WriteEndObject();

        writer.WriteStartArray("moves");
        foreach (var move in plan.Moves)
        {
            writer.WriteStartObject();
            writer.WriteString("partition", move.Partition);
            writer.WriteString("from", move.From);
            writer.WriteString("to", move.To);
            writer.WriteNumber("bytes", move.Bytes);
            writer.WriteNumber("wave", move.Wave);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartArray("splits");
        foreach (var split in plan.Splits)
        {
            writer.WriteStartObject();
            writer.WriteString("partition", split.Partition);
            writer.WriteStrings("children", [split.Partition, split.Child]);
            writer.WriteString("at", split.At);
            writer.WriteNumber("peak_share", split.PeakShare);
            writer.WriteString("reason", split.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartArray("merges");
        foreach (var merge in plan.Merges)
        {
            writer.WriteStartObject();
            writer.WriteStrings("partitions", merge.Partitions);
            writer.WriteString("into", merge.Into);
            writer.WriteNumber("peak_share", merge.PeakShare);
            writer.WriteString("reason", merge.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartArray("ghosts");
        foreach (var ghost in plan.Ghosts)
        {
            writer.WriteStartObject();
            writer.WriteString("partition", ghost.Partition);
            writer.WriteString("node", ghost.Node);
            writer.WriteNumber("ready_by_step", ghost.ReadyByStep);
            writer.WriteNumber("bytes", ghost.Bytes);
            writer.WriteString("reason", ghost.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        WriteCost(writer, "cost_before", plan.Before, plan.Input.Spec.UsesExtendedModel);
        WriteCost(writer, "cost_after", plan.After, plan.Input.Spec.UsesExtendedModel);
        writer.WriteNumber("peak_utilisation_before", plan.Before.PeakUtilisation);
        writer.WriteNumber("peak_utilisation_after", plan.After.PeakUtilisation);

        writer.WriteStartArray("nodes");
        var countBefore = new int[spec.Nodes.Count];
        var countAfter = new int[spec.Nodes.Count];
        for (int p = 0; p < plan.Assignment.Length; p++)
        {
            countBefore[plan.Input.Initial[p]]++;
            countAfter[plan.Assignment[p]]++;
        }

        for (int n = 0; n < spec.Nodes.Count; n++)
        {
            writer.WriteStartObject();
            writer.WriteString("id", spec.Nodes[n].Id);
            writer.WriteNumber("peak_before", plan.Before.NodePeakUtilisation[n]);
            writer.WriteNumber("peak_after", plan.After.NodePeakUtilisation[n]);
            writer.WriteNumber("partitions_before", countBefore[n]);
            writer.WriteNumber("partitions_after", countAfter[n]);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStrings("broken_before", plan.Before.Broken);
        writer.WriteStrings("broken_after", plan.After.Broken);

        writer.WriteStartObject("scaling");
        if (plan.Scaling.NodesToAdd is { } add)
        {
            writer.WriteNumber("nodes_to_add", add);
        }
        else
        {
            writer.WriteNull("nodes_to_add");
        }

        writer.WriteNumbers("node_capacity", plan.Scaling.NodeCapacity);
        writer.WriteString("reason", plan.Scaling.Reason);
        var capacity = plan.Capacity;
        writer.WriteNumber("nodes_now", capacity.NodesNow);
        writer.WriteNumber("nodes_needed", capacity.NodesNeeded);
        writer.WriteStartArray("nodes_needed_per_step");
        foreach (int n in capacity.NeededPerStep)
        {
            writer.WriteNumberValue(n);
        }

        writer.WriteEndArray();
        writer.WriteNumber("add", capacity.Add);
        writer.WriteNumber("remove", capacity.Remove);
        if (capacity.FromStep is { } from)
        {
            writer.WriteNumber("from_step", from);
        }
        else
        {
            writer.WriteNull("from_step");
        }

        writer.WriteStartArray("drain");
        foreach (string node in capacity.Drain)
        {
            writer.WriteStringValue(node);
        }

        writer.WriteEndArray();
        writer.WriteNumber("drain_bytes", capacity.DrainBytes);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void WriteSummary(Utf8JsonWriter writer, string name, PlanFigures summary)
    {
        writer.WriteStartObject(name);
        writer.WriteNumber("peak_utilisation", Math.Round(summary.PeakUtilisation, 6));
        writer.WriteNumber("moved_bytes", summary.MovedBytes);
        writer.WriteNumber("move_count", summary.Moves);
        writer.WriteNumber("cost", Math.Round(summary.Energy, 6));
        writer.WriteEndObject();
    }

    public static string AlgorithmName(SearchAlgorithm algorithm) => algorithm switch
    {
        SearchAlgorithm.GeneticThenAnneal => "genetic-anneal",
        _ => algorithm.ToString().ToLowerInvariant(),
    };

    /// <param name="extended">Whether the cluster uses the extended model: its terms are written only then.</param>
    private static void WriteCost(Utf8JsonWriter writer, string name, ReferenceEvaluation evaluation, bool extended)
    {
        CostBreakdown c = evaluation.Cost;
        writer.WriteStartObject(name);
        writer.WriteNumber("balance", c.Balance);
        writer.WriteNumber("headroom", c.Headroom);
        writer.WriteNumber("migration", c.Migration);
        writer.WriteNumber("affinity", c.Affinity);
        writer.WriteNumber("lineage", c.Lineage);
        if (extended)
        {
            writer.WriteNumber("safety", c.Safety);
            writer.WriteNumber("resource_balance", c.ResourceBalance);
            writer.WriteNumber("partition_move", c.PartitionMove);
            writer.WriteNumber("group_move", c.GroupMove);
            writer.WriteNumber("node_move", c.NodeMove);
        }

        writer.WriteNumber("total", c.Total);
        writer.WriteNumber("overload", c.Overload);
        writer.WriteNumber("violations", c.Violations);
        writer.WriteEndObject();
    }
}
