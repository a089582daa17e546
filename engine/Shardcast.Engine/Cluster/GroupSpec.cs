namespace Shardcast.Engine.Cluster;

public sealed record GroupSpec(string Id, int MinZones)
{
    /// <summary>Groups that must have a member in every neighbourhood where this group has one.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];
}
