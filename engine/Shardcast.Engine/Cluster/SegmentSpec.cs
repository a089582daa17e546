namespace Shardcast.Engine.Cluster;

/// <summary>
/// A slice of a partition (a key range, a hash slot, a tag value), in the partition's order: the grain of its heat
/// and of its split points (docs/cluster-file.md, "segments"). Its load is given or forecast from its history, like a
/// partition's; its size, where not given, is an equal share of the partition's.
/// </summary>
public sealed record SegmentSpec(string Id, double? SizeBytes, double[][]? Load, HistorySpec? History);

/// <summary>
/// When the planner cuts and joins partitions before it places them (docs/cost.md, "Splits, merges and ghosts"): a
/// partition with segments whose forecast peak exceeds <paramref name="SplitShare"/> of a node's capacity on any
/// resource is split; a child on its parent's node whose peak together with the parent's stays below
/// <paramref name="MergeShare"/> is merged back.
/// </summary>
/// <param name="Enabled">true: always; false: never; null (the default): where some partition gives segments, the
/// data restructuring works with (a file without them is placed as it is, its partitions' ids unchanged).</param>
public sealed record RestructureSpec(bool? Enabled, double SplitShare, double MergeShare)
{
    public static RestructureSpec Default { get; } = new(null, 0.5, 0.1);

    public bool AppliesTo(ClusterSpec spec) => Enabled ?? spec.Partitions.Any(p => p.Segments.Count > 0);
}
