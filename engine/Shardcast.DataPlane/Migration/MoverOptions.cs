namespace Shardcast.DataPlane.Migration;

/// <summary>How a move copies and how long its steps may take.</summary>
public sealed record MoverOptions
{
    /// <summary>Keys per MIGRATE call.</summary>
    public int BatchKeys { get; init; } = 500;

    /// <summary>Rounds of re-copying dirty keys before the fence, at most.</summary>
    public int MaxDirtyRounds { get; init; } = 5;

    /// <summary>Fence once a round leaves at most this many dirty keys.</summary>
    public int FenceAtDirty { get; init; } = 64;

    /// <summary>How long the writes in flight may take to drain at the fence.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Each command's time limit.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an executor waits for a target whose flip got no answer to answer again, so that the move is settled
    /// by what the target says (<see cref="SlotMover.SettleFlipAsync"/>); past it the slot stays fenced and the
    /// journal open for recovery.
    /// </summary>
    public TimeSpan FlipSettleWait { get; init; } = TimeSpan.FromSeconds(30);
}
