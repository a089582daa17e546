namespace Shardcast.DataPlane.Migration;

/// <summary>A move that failed at a step and was rolled back: the source still owns the slot and holds every key.</summary>
public sealed class MoveFailedException(int slot, MoveStep step, string message, Exception? cause = null)
    : Exception($"moving slot {slot} failed at {step.ToString().ToLowerInvariant()}: {message}; rolled back, the source keeps the slot", cause)
{
    public int Slot { get; } = slot;

    public MoveStep Step { get; } = step;
}
