using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels;

/// <summary>Scores many whole assignments at once: each candidate's cost by term, as the search sees it.</summary>
public interface IBatchEvaluator
{
    CostBreakdown[] EvaluateBatch(FlatProblem problem, IReadOnlyList<int[]> candidates);
}

/// <summary>Checks shared by every batch evaluator.</summary>
public static class BatchEvaluation
{
    public static void CheckCandidate(FlatProblem problem, int[] candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Length != problem.Partitions)
        {
            throw new ArgumentException($"A candidate assigns {candidate.Length} partitions; the problem has {problem.Partitions}.", nameof(candidate));
        }

        foreach (int node in candidate)
        {
            if ((uint)node >= (uint)problem.Nodes)
            {
                throw new ArgumentException($"A candidate names node {node}; the problem has {problem.Nodes}.", nameof(candidate));
            }
        }
    }
}
