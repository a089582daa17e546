namespace Shardcast.DataPlane.Migration;

/// <summary>
/// Thrown by a fault hook to stand for the controller's process dying at a step: the mover then does nothing more
/// (no rollback, no gate cleanup), as a killed process would not, and recovery from the journal is what remains.
/// </summary>
public sealed class SimulatedCrashException(MoveStep step) : Exception($"the controller was killed at {step.ToString().ToLowerInvariant()}")
{
    public MoveStep Step { get; } = step;
}
