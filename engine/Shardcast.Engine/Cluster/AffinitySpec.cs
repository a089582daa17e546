namespace Shardcast.Engine.Cluster;

public sealed record AffinitySpec(string A, string B, double Weight);
