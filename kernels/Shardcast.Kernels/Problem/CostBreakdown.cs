namespace Shardcast.Kernels.Problem;

/// <summary>The cost by term, plus the measures of hard-constraint breakage the search also minimises.</summary>
public readonly record struct CostBreakdown(
    double Balance,
    double Headroom,
    double Migration,
    double Affinity,
    double Lineage,
    double Overload,
    int Violations)
{
    /// <summary>The one cost of DESIGN.md, weights applied.</summary>
    public double Total => Balance + Headroom + Migration + Affinity + Lineage;

    /// <summary>What the search minimises: the cost plus the penalties for overload and violated constraints.</summary>
    public double Energy => Total + (CostWeights.OverloadPenalty * Overload) + (CostWeights.ViolationPenalty * Violations);
}
