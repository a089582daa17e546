namespace Shardcast.Control;

/// <summary>
/// When the control loop plans: every <c>planEvery</c> steps, and at once on an anomaly. An anomaly seen while the
/// loop cannot plan (an execution running, the store not observable) is kept until it can, so a flash crowd that
/// arrives mid-execution is planned for as soon as the execution ends, not at the next scheduled step, which may be
/// far off (and the range's detector, holding off after its alarm, would not raise it again).
/// </summary>
public sealed class PlanSchedule
{
    private readonly int _planEvery;
    private int _stepsSincePlan;
    private bool _anomalyPending;

    public PlanSchedule(int planEvery)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(planEvery, 1);
        _planEvery = planEvery;
        _stepsSincePlan = planEvery - 1; // the first step plans
    }

    /// <summary>Counts a step, and whether it saw an anomaly.</summary>
    public void Step(bool anomaly)
    {
        _stepsSincePlan++;
        _anomalyPending |= anomaly;
    }

    /// <summary>An anomaly has been seen since the last plan.</summary>
    public bool AnomalyPending => _anomalyPending;

    /// <summary>What would plan now: `schedule`, `anomaly` (one seen since the last plan), or null.</summary>
    public string? Due => _stepsSincePlan >= _planEvery ? "schedule" : _anomalyPending ? "anomaly" : null;

    /// <summary>A plan was made: the schedule starts again and the anomalies seen so far are answered.</summary>
    public void Planned()
    {
        _stepsSincePlan = 0;
        _anomalyPending = false;
    }
}
