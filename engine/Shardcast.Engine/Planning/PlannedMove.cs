namespace Shardcast.Engine.Planning;

/// <summary>One partition move of a plan; moves of one wave may run at the same time.</summary>
public sealed record PlannedMove(string Partition, string From, string To, double Bytes, int Wave);
