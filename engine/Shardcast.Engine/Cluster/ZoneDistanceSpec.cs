namespace Shardcast.Engine.Cluster;

public sealed record ZoneDistanceSpec(string A, string B, double Cost);
