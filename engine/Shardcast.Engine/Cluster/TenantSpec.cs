namespace Shardcast.Engine.Cluster;

public sealed record TenantSpec(string Id, IReadOnlyList<string> Nodes);
