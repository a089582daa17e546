using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// Brings an assignment back inside the hard constraints: first the move budget (moved partitions go home),
/// then every partition that breaks a constraint moves to the best node that removes the breakage.
/// Used on genetic offspring and on any start that arrives infeasible.
/// </summary>
internal static class ConstraintRepair
{
    public static void Repair(SearchState state, ref CounterRng rng)
    {
        RepairBudget(state, ref rng);
        RepairViolations(state, ref rng);
    }

    /// <summary>Nodes up to which a breaking partition tries every node; beyond it, a sample first.</summary>
    private const int ExhaustiveNodes = 1024;

    /// <summary>
    /// Random nodes tried for a breaking partition on larger clusters before every node is: at 1M partitions on
    /// 10k nodes a start breaks ~17k constraints, and a full scan for each took most of a 10 s plan.
    /// </summary>
    private const int SampledNodes = 256;

    private static void RepairBudget(SearchState state, ref CounterRng rng)
    {
        var problem = state.Problem;
        if (state.Moves <= problem.MaxMoves && state.MovedBytes <= problem.MaxBytes)
        {
            return;
        }

        var moved = new List<int>();
        for (int p = 0; p < problem.Partitions; p++)
        {
            if (state.Assignment[p] != problem.Initial[p])
            {
                moved.Add(p);
            }
        }

        // Random order so repeated repairs of similar children do not always undo the same moves.
        for (int i = moved.Count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (moved[i], moved[j]) = (moved[j], moved[i]);
        }

        foreach (int p in moved)
        {
            if (state.Moves <= problem.MaxMoves && state.MovedBytes <= problem.MaxBytes)
            {
                return;
            }

            int home = problem.Initial[p];
            int dv = state.ViolationDelta(p, home);
            if (dv <= 0)
            {
                state.ApplyMove(p, home, state.MoveDelta(p, home), dv);
            }
        }
    }

    private static void RepairViolations(SearchState state, ref CounterRng rng)
    {
        var problem = state.Problem;
        if (state.Violations == 0)
        {
            return;
        }

        bool sampled = problem.Nodes > ExhaustiveNodes;
        for (int p = 0; p < problem.Partitions && state.Violations > 0; p++)
        {
            if (problem.Pinned[p] || !Breaks(state, p))
            {
                continue;
            }

            var (bestNode, bestDv, bestDelta) = sampled ? BestOfSample(state, p, ref rng) : (-1, 0, 0f);
            if (bestNode < 0)
            {
                (bestNode, bestDv, bestDelta) = BestOfAll(state, p);
            }

            if (bestNode >= 0)
            {
                state.ApplyMove(p, bestNode, bestDelta, bestDv);
            }
        }
    }

    /// <summary>The node that removes most of p's breakage, the cheapest among equals; -1 when none removes any.</summary>
    private static (int Node, int Dv, float Delta) BestOfAll(SearchState state, int p)
    {
        var best = (Node: -1, Dv: 0, Delta: float.PositiveInfinity);
        for (int m = 0; m < state.Problem.Nodes; m++)
        {
            Consider(state, p, m, ref best);
        }

        return best;
    }

    /// <summary>As <see cref="BestOfAll"/> over a random sample of nodes.</summary>
    private static (int Node, int Dv, float Delta) BestOfSample(SearchState state, int p, ref CounterRng rng)
    {
        var best = (Node: -1, Dv: 0, Delta: float.PositiveInfinity);
        for (int t = 0; t < SampledNodes; t++)
        {
            Consider(state, p, rng.NextInt(state.Problem.Nodes), ref best);
        }

        return best;
    }

    private static void Consider(SearchState state, int p, int m, ref (int Node, int Dv, float Delta) best)
    {
        if (m == state.Assignment[p] || !state.WithinBudget(p, m))
        {
            return;
        }

        int dv = state.ViolationDelta(p, m);
        if (dv >= 0)
        {
            return;
        }

        float delta = state.MoveDelta(p, m);
        if (dv < best.Dv || (dv == best.Dv && delta < best.Delta))
        {
            best = (m, dv, delta);
        }
    }

    private static bool Breaks(SearchState state, int p)
    {
        var problem = state.Problem;
        int node = state.Assignment[p];
        if (!problem.IsAllowed(p, node))
        {
            return true;
        }

        int g = problem.GroupOf[p];
        if (g < 0)
        {
            return false;
        }

        foreach (int q in problem.MembersOf(g))
        {
            if (q != p && state.Assignment[q] == node)
            {
                return true;
            }
        }

        return state.DistinctZonesOf(g) < problem.GroupMinZones[g];
    }
}
