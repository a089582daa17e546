namespace Shardcast.Engine.Cluster;

/// <summary>
/// A known event (docs/cluster-file.md, "events"): a tag, a window [start, end) in the histories' clock (Unix
/// seconds, as <c>history.end</c>), an optional expected multiplier, and what it covers: the listed partitions, a
/// tenant's partitions, or, with neither, the whole cluster.
/// </summary>
public sealed record EventSpec(string Tag, double Start, double End, double? Multiplier, IReadOnlyList<string> Partitions, string? Tenant)
{
    public bool Applies(PartitionSpec partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (Partitions.Count == 0 && Tenant is null)
        {
            return true;
        }

        // A split's children carry the event named for their parent.
        return (Tenant is not null && partition.Tenant == Tenant) || Partitions.Contains(partition.Id, StringComparer.Ordinal)
            || (partition.Parent is { } parent && Partitions.Contains(parent, StringComparer.Ordinal));
    }
}
