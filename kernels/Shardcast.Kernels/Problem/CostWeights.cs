namespace Shardcast.Kernels.Problem;

/// <summary>
/// The weights of the one cost (docs/cost.md) plus the penalties the search adds for hard constraints.
/// </summary>
/// <param name="Balance">w_bal.</param>
/// <param name="Headroom">w_over.</param>
/// <param name="Theta">theta, the utilisation above which headroom is charged.</param>
/// <param name="Move">w_move.</param>
/// <param name="Affinity">w_aff.</param>
/// <param name="Lineage">w_lin.</param>
public sealed record CostWeights(double Balance, double Headroom, double Theta, double Move, double Affinity, double Lineage)
{
    /// <summary>
    /// Search penalty per unit of relative load above capacity. Large against every cost term's delta, so
    /// the search never trades overload for balance or fewer moves; linear so that even a small
    /// overload is worth removing.
    /// </summary>
    public const double OverloadPenalty = 1e4;

    /// <summary>Search penalty per hard-constraint violation (replica collision, zone shortfall, disallowed node).</summary>
    public const double ViolationPenalty = 1e6;

    public static CostWeights Default { get; } = new(1, 10, 0.8, 0.1, 0.5, 0.2);
}
