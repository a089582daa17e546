using System.Globalization;
using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Planning;

/// <summary>A copy of a partition to stage on the node a move will land on, caught up and ready by a step of the horizon.</summary>
public sealed record GhostPartition(string Partition, string Node, int ReadyByStep, double Bytes, string Reason);

/// <summary>
/// Ghosts (docs/cost.md, "Splits, merges and ghosts"): a planned move whose source node stays within theta at the
/// first step of the horizon but passes it at a later one is not needed yet. Its partition is copied to the target
/// ahead of time and kept caught up, so that by that step (<c>ready_by_step</c>, 0-based, the first at which the source
/// node, with the partitions it holds now, passes theta on any resource) the move is a short delta and a flip. A move
/// whose source is over theta already moves now; one that is for balance alone (its source never passes theta) has no
/// step by which it is needed, and no ghost.
/// </summary>
public static class GhostPlanner
{
    public static IReadOnlyList<GhostPartition> For(PlanningInput input, IReadOnlyList<PlannedMove> moves)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(moves);
        if (moves.Count == 0)
        {
            return [];
        }

        var spec = input.Spec;
        int steps = input.Steps, resources = input.Resources;
        double theta = spec.Objective.Theta;
        var load = new double[spec.Nodes.Count * steps * resources];
        for (int p = 0; p < input.Load.Length; p++)
        {
            int at = input.Initial[p] * steps * resources;
            var row = input.Load[p];
            for (int k = 0; k < row.Length; k++)
            {
                load[at + k] += row[k];
            }
        }

        var ghosts = new List<GhostPartition>();
        foreach (var move in moves)
        {
            int node = input.NodeIndex[move.From];
            int first = FirstStepOverTheta(load, node, steps, resources, theta, spec.Nodes[node]);
            if (first >= 1)
            {
                ghosts.Add(new GhostPartition(move.Partition, move.To, first, move.Bytes, string.Create(CultureInfo.InvariantCulture,
                    $"{move.From} passes theta ({theta:0.##}) at step {first}, not before: a copy on {move.To} kept caught up makes the move a flip by then")));
            }
        }

        return ghosts;
    }

    private static int FirstStepOverTheta(double[] load, int node, int steps, int resources, double theta, NodeSpec spec)
    {
        for (int h = 0; h < steps; h++)
        {
            for (int r = 0; r < resources; r++)
            {
                double capacity = spec.Capacity[r];
                if (capacity > 0 && load[(((node * steps) + h) * resources) + r] > theta * capacity)
                {
                    return h;
                }
            }
        }

        return -1;
    }
}
