namespace Shardcast.Engine.Cluster;

/// <param name="Values">Observations, oldest first, [sample][resource].</param>
/// <param name="End">Unix seconds of the last observation, where known: it places the rows in the day and the week for the LSTM's calendar inputs.</param>
public sealed record HistorySpec(double StepSeconds, double[][] Values, double? End = null);
