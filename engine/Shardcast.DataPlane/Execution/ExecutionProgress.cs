namespace Shardcast.DataPlane.Execution;

/// <summary>Where an execution stands.</summary>
public sealed record ExecutionProgress(
    ExecutionState State,
    int Wave,
    int MovesTotal,
    int MovesDone,
    int MovesSkipped,
    int MovesFailed,
    int MovesRunning,
    long SlotsMoved,
    long KeysCopied,
    double BytesTotal,
    double BytesDone)
{
    public int MovesPending => MovesTotal - MovesDone - MovesSkipped - MovesFailed - MovesRunning;
}

public enum ExecutionState
{
    Running,
    Paused,
    Cancelling,
    Finished,
    Cancelled,
}

/// <summary>What an execution did, once it has ended.</summary>
/// <param name="PeakRunning">The most moves that ran at once.</param>
/// <param name="PeakPerNode">The most moves one node took part in at once.</param>
public sealed record ExecutionReport(
    ExecutionProgress Progress,
    IReadOnlyList<RangeMove> Done,
    IReadOnlyList<RangeMove> Skipped,
    IReadOnlyList<(RangeMove Move, string Reason)> Failed,
    IReadOnlyList<string> Warnings,
    int PeakRunning,
    int PeakPerNode,
    TimeSpan Elapsed)
{
    public bool Cancelled => Progress.State == ExecutionState.Cancelled;
}
