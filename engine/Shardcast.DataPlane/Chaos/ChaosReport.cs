namespace Shardcast.DataPlane.Chaos;

/// <summary>
/// What a chaos run found. Lost writes: acknowledged writes not read back with their last acknowledged value (a
/// deletion acknowledged counts as a value: the key must be gone). Stale reads: reads that returned a value older
/// than one acknowledged before they began. Stuck slots: slots a node still reported migrating or importing at the
/// end of a schedule. Any of the three above zero fails the run; <see cref="Failures"/> names the schedule.
/// </summary>
public sealed record ChaosReport(
    int Schedules,
    int Faults,
    int Moves,
    int Finished,
    int RolledBack,
    long LostWrites,
    long StaleReads,
    int StuckSlots,
    long Writes,
    long Reads,
    IReadOnlyDictionary<string, int> FaultsByKind,
    IReadOnlyList<string> Failures,
    TimeSpan Elapsed)
{
    public bool Passed => LostWrites == 0 && StaleReads == 0 && StuckSlots == 0;
}
