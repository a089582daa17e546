using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// Reads the temperature scale off the problem itself: the size of uphill deltas of random feasible moves
/// from the start. Moves that only change the overload penalty are left out, so the scale is that of the
/// cost terms the annealer trades against each other.
/// </summary>
internal static class TemperatureCalibrator
{
    public static double UphillScale(SearchState state, int[] movable, ulong seed, int samples = 4000)
    {
        var problem = state.Problem;
        var rng = new CounterRng(seed, 0xCA11B2A7E);
        var uphill = new List<double>(samples);
        for (int i = 0; i < samples * 4 && uphill.Count < samples && movable.Length > 0; i++)
        {
            int p = movable[rng.NextInt(movable.Length)];
            int m = rng.NextInt(problem.Nodes);
            if (m == state.Assignment[p] || state.ViolationDelta(p, m) > 0 || !state.WithinBudget(p, m))
            {
                continue;
            }

            double delta = state.MoveDelta(p, m);
            if (delta > 0 && delta < CostWeights.OverloadPenalty * 1e-3)
            {
                uphill.Add(delta);
            }
        }

        if (uphill.Count == 0)
        {
            return 1e-3;
        }

        uphill.Sort();
        return Math.Max(uphill[uphill.Count / 2], 1e-9);
    }
}
