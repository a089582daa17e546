namespace Shardcast.DataPlane.Chaos;

/// <summary>What a chaos schedule does to a move, at a step drawn at random.</summary>
public enum ChaosFault
{
    /// <summary>Nothing: the move must finish.</summary>
    None,

    /// <summary>The move is cancelled: it must roll back.</summary>
    Cancel,

    /// <summary>A command of the mover fails (as a dropped connection or a timeout makes it): it must roll back.</summary>
    MoverError,

    /// <summary>The controller dies: recovery from the journal must finish or roll the move back.</summary>
    ControllerCrash,

    /// <summary>The target node dies: the move must roll back (the schedule then starts a fresh store).</summary>
    KillTarget,

    /// <summary>
    /// The target hangs (SIGSTOP; stores whose nodes are processes): the move times out and rolls back on the source;
    /// when the target goes on again, recovery drops its partial copy.
    /// </summary>
    HangTarget,
}
