namespace Shardcast.Engine.Cluster;

public sealed record NodeSpec(string Id, IReadOnlyList<double> Capacity, string Zone, NodeState State);
