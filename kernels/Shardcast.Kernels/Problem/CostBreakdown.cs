namespace Shardcast.Kernels.Problem;

/// <summary>
/// The cost by term, plus the measures of hard-constraint breakage the search also minimises. The first five
/// terms are the native model's (docs/cost.md); the last five are the extended model's (docs/cost.md), zero unless a cluster
/// switches them on.
/// </summary>
/// <param name="Safety">Weighted load above safety capacities.</param>
/// <param name="ResourceBalance">Weighted shortfall of the balance terms between two resources.</param>
/// <param name="PartitionMove">Weighted sum of the moved partitions' move costs.</param>
/// <param name="GroupMove">Weighted largest count of moved members of one group.</param>
/// <param name="NodeMove">Weighted sum of node-pair move costs.</param>
public readonly record struct CostBreakdown(
    double Balance,
    double Headroom,
    double Migration,
    double Affinity,
    double Lineage,
    double Overload,
    int Violations,
    double Safety = 0,
    double ResourceBalance = 0,
    double PartitionMove = 0,
    double GroupMove = 0,
    double NodeMove = 0)
{
    /// <summary>The one cost, weights applied.</summary>
    public double Total => Balance + Headroom + Migration + Affinity + Lineage + Safety + ResourceBalance + PartitionMove + GroupMove + NodeMove;

    /// <summary>What the search minimises: the cost plus the penalties for overload and violated constraints.</summary>
    public double Energy => Total + (CostWeights.OverloadPenalty * Overload) + (CostWeights.ViolationPenalty * Violations);
}
