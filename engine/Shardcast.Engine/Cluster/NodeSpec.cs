namespace Shardcast.Engine.Cluster;

public sealed record NodeSpec(string Id, IReadOnlyList<double> Capacity, string Zone, NodeState State)
{
    /// <summary>Safety capacity per resource: load above it costs w_safety per unit. Null: the capacity itself.</summary>
    public IReadOnlyList<double>? Safety { get; init; }

    /// <summary>The neighbourhood group dependencies are judged in. Null: the node's zone.</summary>
    public string? Neighborhood { get; init; }

    public double SafetyOf(int resource) => Safety is { } s ? s[resource] : Capacity[resource];

    public string NeighborhoodName => Neighborhood ?? Zone;
}
