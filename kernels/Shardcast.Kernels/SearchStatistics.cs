namespace Shardcast.Kernels;

/// <param name="EvaluatedMoves">Proposals whose cost delta was computed (moves and swaps).</param>
/// <param name="AcceptedMoves">Proposals applied.</param>
/// <param name="Epochs">Synchronisation rounds (annealing) or generations (genetic) or moves (greedy).</param>
public readonly record struct SearchStatistics(long EvaluatedMoves, long AcceptedMoves, int Epochs, TimeSpan Elapsed);
