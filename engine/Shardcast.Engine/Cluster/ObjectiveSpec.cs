namespace Shardcast.Engine.Cluster;

public sealed record ObjectiveSpec(double WBalance, double WOver, double Theta, double WMove, double WAffinity, double WLineage, double Quantile)
{
    /// <summary>Whether <c>u &lt;= 1</c> (and transient capacity) is a hard constraint rather than "where feasible".</summary>
    public bool HardCapacity { get; init; }

    /// <summary>Per resource, the cost per unit of load above a node's safety capacity. Null: zero.</summary>
    public IReadOnlyList<double>? WSafety { get; init; }

    /// <summary>Balance terms between two resources: target * available(a) should not exceed available(b).</summary>
    public IReadOnlyList<ResourceBalanceSpec> ResourceBalance { get; init; } = [];

    /// <summary>Weight of the sum of moved partitions' move_cost.</summary>
    public double WPartitionMove { get; init; }

    /// <summary>Weight of the largest number of moved members of any one group.</summary>
    public double WGroupMove { get; init; }

    /// <summary>Weight of the sum over partitions of node_move_cost[initial node, node].</summary>
    public double WNodeMove { get; init; }

    public double SafetyWeight(int resource) => WSafety is { } w ? w[resource] : 0;

    public static ObjectiveSpec Default { get; } = new(1, 10, 0.8, 0.1, 0.5, 0.2, 0.9);
}
