using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// The annealer's last step: a descent over every movable partition, each moved to its best node (every node
/// when they are few, a sample when many) or swapped with the best of a sample of partners, repeated while a pass
/// still improves. Annealing ends cold but samples its neighbourhood; this visits it systematically, so the
/// last small improvements a chain would find only by chance are taken for certain.
/// </summary>
internal static class LocalPolish
{
    /// <summary>Nodes up to which every node is tried for each partition; beyond it, a sample of this size.</summary>
    private const int ExhaustiveNodes = 256;

    private const int SampledNodes = 64;

    private const int SwapPartners = 32;

    /// <summary>Passes at most: a pass that improves nothing ends it sooner.</summary>
    public const int MaxPasses = 16;

    /// <summary>Evaluations a pass may take for the polish to run at all (about a second on one core).</summary>
    private const long MaxPassEvaluations = 2_000_000;

    /// <summary>
    /// Whether a whole pass is affordable. On larger problems a pass would not finish within its share of the
    /// budget, and the annealer's own sampling serves better (measured on the 100k-partition clusters).
    /// </summary>
    public static bool PassFits(FlatProblem problem, int[] movable) =>
        (long)movable.Length * (Math.Min(problem.Nodes, ExhaustiveNodes) + SwapPartners) <= MaxPassEvaluations;

    /// <returns>Moves and swaps evaluated and applied, and whether the last pass found nothing (a local optimum).</returns>
    public static (long Evaluated, long Applied, bool Converged) Run(SearchState state, int[] movable, ref CounterRng rng, Func<bool> stop)
    {
        var problem = state.Problem;
        long evaluated = 0, applied = 0;
        if (movable.Length == 0)
        {
            return (0, 0, true);
        }

        bool exhaustive = problem.Nodes <= ExhaustiveNodes;
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            bool improved = false;
            int offset = rng.NextInt(movable.Length);
            for (int i = 0; i < movable.Length; i++)
            {
                if ((i & 63) == 0 && stop())
                {
                    return (evaluated, applied, false);
                }

                int p = movable[(offset + i) % movable.Length];
                float threshold = -(float)((1e-9 * Math.Abs(state.Energy)) + 1e-7);
                float leave = state.LeaveDelta(p);
                int bestNode = -1;
                float best = threshold;
                int tries = exhaustive ? problem.Nodes : SampledNodes;
                for (int t = 0; t < tries; t++)
                {
                    int m = exhaustive ? t : rng.NextInt(problem.Nodes);
                    if (m == state.Assignment[p] || !problem.IsAllowed(p, m) || state.CertainlyBreaks(p, m) || !state.WithinBudget(p, m) || state.ViolationDelta(p, m) > 0)
                    {
                        continue;
                    }

                    evaluated++;
                    float delta = leave + state.ArriveDelta(p, m);
                    if (delta < best)
                    {
                        (best, bestNode) = (delta, m);
                    }
                }

                if (bestNode >= 0)
                {
                    state.MoveTo(p, bestNode);
                    applied++;
                    improved = true;
                    continue;
                }

                int partner = -1;
                best = threshold;
                for (int t = 0; t < SwapPartners; t++)
                {
                    int q = movable[rng.NextInt(movable.Length)];
                    if (state.Assignment[q] == state.Assignment[p]
                        || state.SwapCertainlyBreaks(p, q) || !state.SwapWithinBudget(p, q) || state.SwapViolationDelta(p, q) > 0)
                    {
                        continue;
                    }

                    evaluated++;
                    float delta = state.SwapDelta(p, q);
                    if (delta < best)
                    {
                        (best, partner) = (delta, q);
                    }
                }

                if (partner >= 0)
                {
                    state.ApplySwap(p, partner, state.SwapDelta(p, partner), state.SwapViolationDelta(p, partner));
                    applied++;
                    improved = true;
                }
            }

            if (!improved)
            {
                return (evaluated, applied, true);
            }
        }

        return (evaluated, applied, false);
    }
}
