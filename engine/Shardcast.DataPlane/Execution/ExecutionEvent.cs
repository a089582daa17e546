namespace Shardcast.DataPlane.Execution;

/// <summary>Something an execution did, numbered in order (a client asks for the events after the last it saw).</summary>
/// <param name="Kind">One of <see cref="ExecutionEventKinds"/>.</param>
public sealed record ExecutionEvent(long Sequence, DateTimeOffset At, string Kind, string? Partition = null, int? Slot = null, string? Detail = null);

/// <summary>The kinds of <see cref="ExecutionEvent"/>, as written on the socket and in JSON.</summary>
public static class ExecutionEventKinds
{
    public const string WaveStarted = "wave_started";
    public const string MoveStarted = "move_started";
    public const string SlotMoved = "slot_moved";
    public const string MoveDone = "move_done";
    public const string MoveSkipped = "move_skipped";
    public const string MoveFailed = "move_failed";
    public const string MoveRolledBack = "move_rolled_back";
    public const string Paused = "paused";
    public const string Resumed = "resumed";
    public const string Replanned = "replanned";
    public const string Cancelling = "cancelling";
    public const string Finished = "finished";
}
