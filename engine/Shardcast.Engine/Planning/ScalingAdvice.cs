namespace Shardcast.Engine.Planning;

/// <summary>
/// How many nodes of the median capacity would make the plan feasible. Zero when it already is; null when
/// adding nodes would not help (a broken constraint that capacity cannot fix), with the reason.
/// </summary>
public sealed record ScalingAdvice(int? NodesToAdd, IReadOnlyList<double> NodeCapacity, string Reason)
{
    public static ScalingAdvice None(IReadOnlyList<double> capacity) => new(0, capacity, "the plan is feasible with the current nodes");
}
