using Shardcast.Kernels.Problem;

namespace Shardcast.Engine.Tests;

/// <summary>
/// How a cost computed in float32 (the managed search, a device's batch evaluation) is compared with the
/// double-precision reference: 1e-3 absolute plus 1e-4 of the quantity compared (float32 rows summed in double).
/// Each term is compared against its own size or the cost's total without penalties, whichever is larger; never
/// against the energy, whose penalties (1e4 per unit of overload, 1e6 per broken constraint) would swallow every term
/// of a candidate that breaks anything.
/// </summary>
public static class CostAgreement
{
    public const double Relative = 1e-4;

    /// <summary>
    /// A cost by term against the reference's. Violations must agree exactly; overload within the
    /// tolerance of itself (an evaluation reporting none where there is some fails); each cost term within the tolerance
    /// of itself or of the total; the energy within the sum of those. What it catches, tried on PoCL: the affinity
    /// term scaled by 0.9 in the kernel's batch evaluation, and a sign flipped in the headroom term.
    /// </summary>
    public static void Assert(CostBreakdown reference, CostBreakdown actual, string where)
    {
        Xunit.Assert.True(reference.Violations == actual.Violations, $"{where}: {actual.Violations} violations against {reference.Violations}");
        double overloadTolerance = Tolerance(reference.Overload);
        Xunit.Assert.True(Math.Abs(reference.Overload - actual.Overload) <= overloadTolerance, $"{where}: overload {actual.Overload:R} against {reference.Overload:R}");
        double total = Math.Abs(reference.Total);
        foreach (var (name, r, d) in new[]
        {
            ("balance", reference.Balance, actual.Balance), ("headroom", reference.Headroom, actual.Headroom),
            ("migration", reference.Migration, actual.Migration), ("affinity", reference.Affinity, actual.Affinity),
            ("lineage", reference.Lineage, actual.Lineage), ("total", reference.Total, actual.Total),
        })
        {
            Xunit.Assert.True(Math.Abs(r - d) <= Tolerance(Math.Max(Math.Abs(r), total)), $"{where}: {name} {d:R} against {r:R}");
        }

        double energyTolerance = Tolerance(total) + (CostWeights.OverloadPenalty * overloadTolerance);
        Xunit.Assert.True(Math.Abs(reference.Energy - actual.Energy) <= energyTolerance, $"{where}: energy {actual.Energy:R} against {reference.Energy:R}");
    }

    public static double Tolerance(double magnitude) => 1e-3 + (Relative * Math.Abs(magnitude));
}
