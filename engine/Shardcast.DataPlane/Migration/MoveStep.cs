namespace Shardcast.DataPlane.Migration;

/// <summary>The steps of one slot's move, in order; a failure before <see cref="Flip"/> rolls back, after it rolls forward.</summary>
public enum MoveStep
{
    /// <summary>Target importing, source migrating, the gate recording writes.</summary>
    Prepare,

    /// <summary>Every key copied while the source serves; then the keys written meanwhile, in rounds.</summary>
    Copy,

    /// <summary>Writes stopped at the gate, those in flight drained.</summary>
    Fence,

    /// <summary>The last dirty keys copied, keys deleted meanwhile deleted on the target.</summary>
    FinalCopy,

    /// <summary>Every source key on the target with the same value.</summary>
    Verify,

    /// <summary>Ownership moved on every node, the target first.</summary>
    Flip,

    /// <summary>The source's copy deleted.</summary>
    Cleanup,
}
