using Shardcast.Kernels;

namespace Shardcast.Engine.Planning;

/// <summary>The planner's answer: target assignment, ordered moves, cost before and after, feasibility and advice.</summary>
public sealed record Plan(
    PlanningInput Input,
    int[] Assignment,
    IReadOnlyList<PlannedMove> Moves,
    ReferenceEvaluation Before,
    ReferenceEvaluation After,
    ScalingAdvice Scaling,
    SearchResult Search,
    bool SequenceSafe,
    TimeSpan Elapsed)
{
    public bool Feasible => After.Feasible;

    /// <summary>What the movement guard compared and chose; null where it did not run (greedy asked for, the extended model, or turned off).</summary>
    public MovementGuardReport? Guard { get; init; }

    /// <summary>The balance-vs-movement curve where it was asked for (<see cref="MovementCurve"/>): a point per byte budget, this plan last.</summary>
    public IReadOnlyList<CurvePoint>? Curve { get; init; }

    /// <summary>Partitions cut before placement (<see cref="Restructure"/>); their children are in <see cref="Input"/>'s cluster.</summary>
    public IReadOnlyList<SplitDecision> Splits { get; init; } = [];

    /// <summary>Children joined back into their parents before placement.</summary>
    public IReadOnlyList<MergeDecision> Merges { get; init; } = [];

    /// <summary>Moves whose need lies ahead in the horizon, to be pre-staged as copies on their target (<see cref="GhostPlanner"/>).</summary>
    public IReadOnlyList<GhostPartition> Ghosts => GhostPlanner.For(Input, Moves);

    /// <summary>What the horizon asks of the node count (<see cref="CapacityForecast"/>).</summary>
    public ScalingForecast Capacity => CapacityForecast.Compute(this);
}
