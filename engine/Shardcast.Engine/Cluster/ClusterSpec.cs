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
    public const int MaxResources = 8;
    public const int MaxHorizonSteps = 4096;
}
