namespace Shardcast.Engine.Cluster;

/// <summary>A planning request as the cluster file states it, validated: ids resolve, shapes agree.</summary>
public sealed record ClusterSpec(
    IReadOnlyList<string> Resources,
    HorizonSpec Horizon,
    IReadOnlyList<NodeSpec> Nodes,
    IReadOnlyList<PartitionSpec> Partitions,
    IReadOnlyList<TenantSpec> Tenants,
    IReadOnlyList<GroupSpec> Groups,
    IReadOnlyList<AffinitySpec> Affinity,
    IReadOnlyList<ZoneDistanceSpec> ZoneDistance,
    ObjectiveSpec Objective,
    BudgetSpec Budget,
    SearchSpec Search)
{
    /// <summary>Resources whose load stays on a partition's initial node after it moves (counted on both nodes).</summary>
    public IReadOnlyList<string> TransientResources { get; init; } = [];

    public IReadOnlyList<NodeMoveCostSpec> NodeMoveCost { get; init; } = [];

    /// <summary>Events known ahead, which the forecast of the planning load takes into account.</summary>
    public IReadOnlyList<EventSpec> Events { get; init; } = [];

    /// <summary>When partitions with segments are split and cold children merged before placement.</summary>
    public RestructureSpec Restructure { get; init; } = RestructureSpec.Default;

    /// <summary>
    /// The same costs as a dense matrix, [from * N + to] in node order, for callers that hold every pair (the
    /// ROADEF mapping: 25 million pairs at 5,000 machines, which as named records would cost more than the search).
    /// At most one of this and <see cref="NodeMoveCost"/> is given; the cluster file writes either as the list.
    /// A <c>double[]</c> given here is planned from in place, not copied (200 MB at that size), so it must not
    /// change while a plan is made from this spec.
    /// </summary>
    public IReadOnlyList<double>? NodeMoveCostMatrix { get; init; }

    /// <summary>Whether any term or constraint beyond the native cost is switched on (docs/cost.md).</summary>
    public bool UsesExtendedModel =>
        Objective.HardCapacity || TransientResources.Count > 0 || Objective.ResourceBalance.Count > 0
        || (Objective.WSafety?.Any(w => w > 0) ?? false) || Objective.WPartitionMove > 0 || Objective.WGroupMove > 0
        || (Objective.WNodeMove > 0 && (NodeMoveCost.Count > 0 || NodeMoveCostMatrix is not null)) || Groups.Any(g => g.DependsOn.Count > 0);

    public const int MaxResources = 16;
    public const int MaxHorizonSteps = 4096;
}
