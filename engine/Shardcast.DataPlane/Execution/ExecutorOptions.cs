using Shardcast.DataPlane.Migration;

namespace Shardcast.DataPlane.Execution;

/// <summary>How much of a plan runs at once and how fast its bytes may go.</summary>
public sealed record ExecutorOptions
{
    /// <summary>Partition moves running at once across the cluster.</summary>
    public int MaxConcurrentMoves { get; init; } = 4;

    /// <summary>Moves a node takes part in at once, as source or target (each copies through the node's network and CPU).</summary>
    public int MaxMovesPerNode { get; init; } = 2;

    /// <summary>The plan's bytes moved per second at most, over all moves; 0 for no limit.</summary>
    public double BytesPerSecond { get; init; }

    /// <summary>Keep executing the other moves when one fails (its range is rolled back either way).</summary>
    public bool ContinueOnFailure { get; init; } = true;

    /// <summary>
    /// Times a slot's move is tried again after it failed and rolled back (the source kept the slot), before the
    /// partition's move fails: a verify that met a write's race, or a node briefly slow, passes on the next try.
    /// </summary>
    public int SlotRetries { get; init; } = 2;

    public MoverOptions Mover { get; init; } = new();

    internal void Validate()
    {
        if (MaxConcurrentMoves < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentMoves), MaxConcurrentMoves, "at least one move must be able to run");
        }

        if (MaxMovesPerNode < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMovesPerNode), MaxMovesPerNode, "a node must be able to take part in at least one move");
        }

        if (SlotRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SlotRetries), SlotRetries, "retries are not negative");
        }

        if (!double.IsFinite(BytesPerSecond) || BytesPerSecond < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BytesPerSecond), BytesPerSecond, "a throttle is a finite number of bytes per second, or 0 for none");
        }
    }
}
