namespace Shardcast.Engine.Planning;

/// <summary>
/// Orders the moves of a plan into waves so that no node exceeds capacity at any step of the horizon while
/// they run. During a move both nodes carry the partition's load (the copy is served from the source while
/// the target warms), so a move may start only where the target has room for it on top of what it holds and
/// what else arrives in the same wave; sources are relieved when the wave ends.
/// </summary>
public static class MoveSequencer
{
    /// <returns>The wave of each moved partition, and whether every wave respects capacity.</returns>
    public static (Dictionary<int, int> Waves, bool Safe) Sequence(PlanningInput input, IReadOnlyList<int> assignment)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(assignment);
        int width = input.Steps * input.Resources;
        int nodes = input.Spec.Nodes.Count;
        var load = new double[nodes * width];
        var pending = new List<int>();
        for (int p = 0; p < assignment.Count; p++)
        {
            int from = input.Initial[p];
            for (int k = 0; k < width; k++)
            {
                load[(from * width) + k] += input.Load[p][k];
            }

            if (assignment[p] != from)
            {
                pending.Add(p);
            }
        }

        // Relieve the most loaded sources first: their moves make room the next waves use.
        var sourcePressure = new double[nodes];
        for (int n = 0; n < nodes; n++)
        {
            for (int k = 0; k < width; k++)
            {
                sourcePressure[n] = Math.Max(sourcePressure[n], load[(n * width) + k] / input.Capacity(n, k % input.Resources));
            }
        }

        pending.Sort((a, b) => sourcePressure[input.Initial[b]].CompareTo(sourcePressure[input.Initial[a]]));
        var waves = new Dictionary<int, int>();
        bool safe = true;
        int wave = 0;
        var started = new List<int>();
        while (pending.Count > 0)
        {
            started.Clear();
            foreach (int p in pending)
            {
                if (Fits(input, load, assignment[p], p, width))
                {
                    AddLoad(input, load, assignment[p], p, width, 1);
                    started.Add(p);
                }
            }

            if (started.Count == 0)
            {
                // Every remaining move would overload its target: run the one that overloads least, alone.
                int least = pending.MinBy(p => Overflow(input, load, assignment[p], p, width));
                AddLoad(input, load, assignment[least], least, width, 1);
                started.Add(least);
                safe = false;
            }

            foreach (int p in started)
            {
                AddLoad(input, load, input.Initial[p], p, width, -1);
                waves[p] = wave;
            }

            var done = started.ToHashSet();
            pending.RemoveAll(done.Contains);
            wave++;
        }

        return (waves, safe);
    }

    private static bool Fits(PlanningInput input, double[] load, int node, int p, int width) => Overflow(input, load, node, p, width) <= 1e-12;

    private static double Overflow(PlanningInput input, double[] load, int node, int p, int width)
    {
        double worst = 0;
        for (int k = 0; k < width; k++)
        {
            double capacity = input.Capacity(node, k % input.Resources);
            worst = Math.Max(worst, (load[(node * width) + k] + input.Load[p][k] - capacity) / capacity);
        }

        return worst;
    }

    private static void AddLoad(PlanningInput input, double[] load, int node, int p, int width, int sign)
    {
        for (int k = 0; k < width; k++)
        {
            load[(node * width) + k] += sign * input.Load[p][k];
        }
    }
}
