using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// The baseline in the style of today's goal-based rebalancers: take the most loaded node, try its hottest
/// partitions on the least loaded nodes, apply the best improving move, repeat until no node has one.
/// Kept to show what the annealer buys.
/// </summary>
internal static class GreedyRebalancer
{
    private const int CandidatePartitions = 8;
    private const int CandidateTargets = 8;

    public static SearchResult Run(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, string backend, CancellationToken cancellationToken)
    {
        var clock = new SearchClock(options);
        var state = new SearchState(problem);
        state.Reset(start);
        var rng = new CounterRng(options.Seed, 0x6EEDUL);
        ConstraintRepair.Repair(state, ref rng);
        clock.Record(state.Energy);
        var (evaluated, accepted, iterations) = Descend(state, clock, cancellationToken);
        return ParallelAnnealer.Finish(problem, state.Assignment.ToArray(), backend, SearchAlgorithm.Greedy, new SearchStatistics(evaluated, accepted, iterations, clock.Elapsed), clock.Trace);
    }

    /// <summary>Applies best improving moves off the most loaded nodes until none is left or the clock says stop.</summary>
    public static (long Evaluated, long Accepted, int Iterations) Descend(SearchState state, SearchClock clock, CancellationToken cancellationToken)
    {
        var problem = state.Problem;
        var nodesByPeak = new PeakOrder(state.NodePeak);
        var candidates = new List<int>();
        long evaluated = 0, accepted = 0;
        int iterations = 0;
        while (!clock.ShouldStop(accepted, state.Energy, cancellationToken))
        {
            bool moved = false;
            for (int s = 0; s < problem.Nodes && !moved; s++)
            {
                int source = nodesByPeak[s];
                HottestMovable(state, source, candidates);
                int bestP = -1, bestM = -1, bestDv = 0;
                float bestDelta = -1e-7f;
                foreach (int p in candidates)
                {
                    int tried = 0;
                    for (int t = problem.Nodes - 1; t >= 0 && tried < CandidateTargets; t--)
                    {
                        int m = nodesByPeak[t];
                        if (m == source || !problem.IsAllowed(p, m))
                        {
                            continue;
                        }

                        tried++;
                        int dv = state.ViolationDelta(p, m);
                        if (dv > 0 || !state.WithinBudget(p, m))
                        {
                            continue;
                        }

                        float delta = state.MoveDelta(p, m) + (float)(CostWeights.ViolationPenalty * dv);
                        evaluated++;
                        if (delta < bestDelta)
                        {
                            (bestP, bestM, bestDv, bestDelta) = (p, m, dv, delta);
                        }
                    }
                }

                if (bestP >= 0)
                {
                    state.ApplyMove(bestP, bestM, bestDelta - (float)(CostWeights.ViolationPenalty * bestDv), bestDv);
                    accepted++;
                    moved = true;
                    nodesByPeak.Update(source, state.NodePeak[source]);
                    nodesByPeak.Update(bestM, state.NodePeak[bestM]);
                }
            }

            iterations++;
            clock.Record(state.Energy);
            if (!moved)
            {
                break;
            }
        }

        return (evaluated, accepted, iterations);
    }

    private static void HottestMovable(SearchState state, int node, List<int> into)
    {
        var problem = state.Problem;
        into.Clear();
        foreach (int p in state.Members.Of(node))
        {
            if (problem.Pinned[p])
            {
                continue;
            }

            if (into.Count < CandidatePartitions)
            {
                into.Add(p);
            }
            else
            {
                int coolest = 0;
                for (int i = 1; i < into.Count; i++)
                {
                    if (problem.Heat[into[i]] < problem.Heat[into[coolest]])
                    {
                        coolest = i;
                    }
                }

                if (problem.Heat[p] > problem.Heat[into[coolest]])
                {
                    into[coolest] = p;
                }
            }
        }
    }
}
