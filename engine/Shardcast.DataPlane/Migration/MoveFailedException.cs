namespace Shardcast.DataPlane.Migration;

/// <summary>A slot's move that did not finish: rolled back (the source keeps the slot), or, where the flip got no answer, left to recovery.</summary>
public sealed class MoveFailedException(int slot, MoveStep step, string message, Exception? cause = null, bool rolledBack = true)
    : Exception($"moving slot {slot} failed at {step.ToString().ToLowerInvariant()}: {message}; {(rolledBack ? "rolled back, the source keeps the slot" : "left to recovery, the slot fenced until then")}", cause)
{
    public int Slot { get; } = slot;

    public MoveStep Step { get; } = step;

    public bool RolledBack { get; } = rolledBack;

    /// <summary>Where the flip got no answer: the move's journal id and its ends, for <see cref="SlotMover.SettleFlipAsync"/>.</summary>
    public (string Move, Store.StoreNode Source, Store.StoreNode Target)? Flip { get; init; }
}
