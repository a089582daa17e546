namespace Shardcast.Engine.Cluster;

/// <summary>The cost of moving a partition from node <paramref name="From"/> to node <paramref name="To"/> (0 for unlisted pairs).</summary>
public sealed record NodeMoveCostSpec(string From, string To, double Cost);
