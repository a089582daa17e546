namespace Shardcast.Engine.Cluster;

/// <param name="Load">The planning load, [step][resource], or null when it is to be forecast from <paramref name="History"/>.</param>
public sealed record PartitionSpec(
    string Id,
    string Node,
    double SizeBytes,
    string? Tenant,
    string? Group,
    string? Parent,
    bool Pinned,
    IReadOnlyDictionary<string, string> Tags,
    double[][]? Load,
    HistorySpec? History)
{
    /// <summary>What moving this partition costs in the partition-move term (w_partition_move), besides bytes.</summary>
    public double MoveCost { get; init; }

    /// <summary>The partition's slices in order, each with its load or history (none: the partition is not split).</summary>
    public IReadOnlyList<SegmentSpec> Segments { get; init; } = [];
}
