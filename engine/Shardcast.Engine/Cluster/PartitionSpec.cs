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
    HistorySpec? History);
