namespace Shardcast.Engine.Cluster;

public sealed record GroupSpec(string Id, int MinZones);
