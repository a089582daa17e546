using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Managed;

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
        RepairViolations(state);
    }

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

    private static void RepairViolations(SearchState state)
    {
        var problem = state.Problem;
        if (state.Violations == 0)
        {
            return;
        }

        for (int p = 0; p < problem.Partitions && state.Violations > 0; p++)
        {
            if (problem.Pinned[p] || !Breaks(state, p))
            {
                continue;
            }

            int bestNode = -1;
            int bestDv = 0;
            float bestDelta = float.PositiveInfinity;
            for (int m = 0; m < problem.Nodes; m++)
            {
                if (m == state.Assignment[p] || !state.WithinBudget(p, m))
                {
                    continue;
                }

                int dv = state.ViolationDelta(p, m);
                if (dv >= 0)
                {
                    continue;
                }

                float delta = state.MoveDelta(p, m);
                if (dv < bestDv || (dv == bestDv && delta < bestDelta))
                {
                    bestNode = m;
                    bestDv = dv;
                    bestDelta = delta;
                }
            }

            if (bestNode >= 0)
            {
                state.ApplyMove(p, bestNode, bestDelta, bestDv);
            }
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
