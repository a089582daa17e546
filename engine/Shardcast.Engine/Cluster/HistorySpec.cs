namespace Shardcast.Engine.Cluster;

/// <param name="Values">Observations, oldest first, [sample][resource].</param>
public sealed record HistorySpec(double StepSeconds, double[][] Values);
