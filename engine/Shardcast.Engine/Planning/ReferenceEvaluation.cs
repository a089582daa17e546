using Shardcast.Kernels.Problem;

namespace Shardcast.Engine.Planning;

/// <summary>The double-precision judgement of one assignment.</summary>
/// <param name="NodePeakUtilisation">Per node, the highest l/c over every step and resource.</param>
/// <param name="Broken">Each broken hard constraint, in words, naming the ids involved.</param>
public sealed record ReferenceEvaluation(
    CostBreakdown Cost,
    double[] NodePeakUtilisation,
    int Moves,
    double MovedBytes,
    IReadOnlyList<string> Broken)
{
    public double PeakUtilisation => NodePeakUtilisation.Length == 0 ? 0 : NodePeakUtilisation.Max();

    /// <summary>No broken hard constraint and no node above capacity at any step.</summary>
    public bool Feasible => Broken.Count == 0 && Cost.Overload <= 1e-9;
}
