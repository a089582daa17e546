using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Managed;

/// <summary>
/// Parallel tempering with a cooling ladder: C chains at temperatures steered each epoch toward acceptance
/// targets that fall over the budget (hot ranks explore, cold ranks descend), run in parallel for an epoch of
/// fixed steps, then adjacent temperatures exchange states by the Metropolis rule. Epoch boundaries are the
/// only synchronisation, so with a step budget the run is deterministic whatever the thread count.
/// </summary>
internal static class ParallelAnnealer
{
    /// <summary>Coldest / hottest starting temperature of the ladder.</summary>
    private const double LadderSpan = 1e-3;

    /// <summary>
    /// Targets for the share of uphill proposals accepted: the hottest chain from 5 % at the start to 0.5 % at the
    /// end of the budget, the coldest from 0.1 % to 0.001 %, ranks between spaced geometrically. Each epoch every
    /// rank's temperature moves toward its target, so the schedule follows the problem's own delta scale as the
    /// search moves from coarse to fine, whatever the cluster.
    /// </summary>
    private const double HotAcceptStart = 0.05;
    private const double HotAcceptEnd = 0.005;
    private const double ColdAcceptStart = 1e-3;
    private const double ColdAcceptEnd = 1e-5;

    /// <summary>Uphill proposals an epoch needs before its acceptance rate steers the temperature.</summary>
    private const int MinUphillForSteering = 64;

    /// <summary>Epochs between exact recomputations that remove float drift from tracked loads and energies.</summary>
    private const int ResynchroniseEvery = 16;

    /// <summary>Share of a time budget kept for <see cref="LocalPolish"/> at the end.</summary>
    private const double PolishShare = 0.01;

    public static SearchResult Run(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, string backend, CancellationToken cancellationToken)
    {
        var fullClock = new SearchClock(options);
        int[] movable = Movable(problem);
        var clock = new SearchClock(LocalPolish.PassFits(problem, movable) ? options with { TimeBudget = options.TimeBudget * (1 - PolishShare) } : options);
        int chainCount = options.EffectiveChains;
        var first = new SearchState(problem);
        first.Reset(start);
        var repairRng = new CounterRng(options.Seed, 0x4E9A14UL);
        ConstraintRepair.Repair(first, ref repairRng);
        clock.Record(first.Energy);
        long warmEvaluated = 0, warmAccepted = 0;
        if (options.WarmStart)
        {
            var warmClock = new SearchClock(options with { TimeBudget = options.TimeBudget * SearchOptions.WarmStartShare, MaxStepsPerChain = null });
            (warmEvaluated, warmAccepted, _) = GreedyRebalancer.Descend(first, warmClock, cancellationToken);
            first.Resynchronise();
        }

        double hot = TemperatureCalibrator.UphillScale(first, movable, options.Seed);
        var proposer = new MoveProposer(problem, movable);
        var chains = new AnnealingChain[chainCount];
        for (int i = 0; i < chainCount; i++)
        {
            var state = i == 0 ? first : new SearchState(problem);
            if (i > 0)
            {
                state.CopyFrom(first);
            }

            chains[i] = new AnnealingChain(state, proposer, options.Seed, i, options.SwapShare, options.BiasShare);
        }

        // order[r] is the chain at temperature rank r (0 = hottest); exchanges permute it.
        int[] order = Enumerable.Range(0, chainCount).ToArray();
        int[] best = first.Assignment.ToArray();
        double bestEnergy = first.Energy;
        clock.Record(bestEnergy);
        var exchangeRng = new CounterRng(options.Seed, 0xE8C4A9CEUL);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.EffectiveThreads };
        long steps = 0;
        int epoch = 0;
        int stepsPerEpoch = options.StepsPerEpoch;
        if (options.MaxStepsPerChain is { } cap)
        {
            // At least ~50 epochs, so a step budget still cools gradually and exchanges replicas often.
            stepsPerEpoch = (int)Math.Clamp(cap / 50, Math.Min(cap, 1000), stepsPerEpoch);
        }

        // rankTemperature[r] is the temperature of ladder rank r (0 = hottest), steered by acceptance each epoch.
        double acceptanceScale = options.AcceptanceScale ?? (problem.Extensions is { HardCapacity: true } ? SearchOptions.HardCapacityAcceptanceScale : 1);
        var rankTemperature = new double[chainCount];
        for (int r = 0; r < chainCount; r++)
        {
            rankTemperature[r] = hot * Math.Pow(LadderSpan, Rank(r, chainCount));
        }

        while (!clock.ShouldStop(steps, bestEnergy, cancellationToken))
        {
            for (int r = 0; r < chainCount; r++)
            {
                chains[order[r]].Temperature = rankTemperature[r];
                chains[order[r]].ResetUphillCounts();
            }

            Parallel.For(0, chainCount, parallel, i => chains[i].Run(stepsPerEpoch));
            SteerTemperatures(chains, order, rankTemperature, clock.Progress(steps + stepsPerEpoch), acceptanceScale);
            steps += stepsPerEpoch;
            epoch++;
            if (epoch % ResynchroniseEvery == 0)
            {
                Parallel.For(0, chainCount, parallel, i => chains[i].State.Resynchronise());
            }

            foreach (var chain in chains)
            {
                if (chain.State.Energy < bestEnergy)
                {
                    bestEnergy = chain.State.Energy;
                    chain.State.Assignment.CopyTo(best, 0);
                }
            }

            clock.Record(bestEnergy);
            ExchangeReplicas(chains, order, epoch, ref exchangeRng);
        }

        long evaluated = warmEvaluated, accepted = warmAccepted;
        foreach (var chain in chains)
        {
            evaluated += chain.Evaluated;
            accepted += chain.Accepted;
        }

        if (!cancellationToken.IsCancellationRequested && bestEnergy > options.TargetEnergy && LocalPolish.PassFits(problem, movable))
        {
            var polished = chains[0].State;
            polished.Reset(best);
            var polishRng = new CounterRng(options.Seed, 0x9011_54UL);
            var (polishEvaluated, polishApplied, _) = LocalPolish.Run(polished, movable, ref polishRng, () => fullClock.ShouldStop(0, polished.Energy, cancellationToken));
            polished.Resynchronise();
            evaluated += polishEvaluated;
            accepted += polishApplied;
            if (polished.Energy < bestEnergy)
            {
                bestEnergy = polished.Energy;
                polished.Assignment.CopyTo(best, 0);
                clock.Record(bestEnergy);
            }
        }

        return Finish(problem, best, backend, SearchAlgorithm.Anneal, new SearchStatistics(evaluated, accepted, epoch, clock.Elapsed), clock.Trace);
    }

    private static double Rank(int r, int count) => count == 1 ? 1 : (double)r / (count - 1);

    /// <summary>Moves each rank's temperature toward the acceptance target for its rank at this point of the budget.</summary>
    private static void SteerTemperatures(AnnealingChain[] chains, int[] order, double[] rankTemperature, double progress, double scale)
    {
        double hotTarget = scale * HotAcceptStart * Math.Pow(HotAcceptEnd / HotAcceptStart, progress);
        double coldTarget = scale * ColdAcceptStart * Math.Pow(ColdAcceptEnd / ColdAcceptStart, progress);
        for (int r = 0; r < order.Length; r++)
        {
            var chain = chains[order[r]];
            double target = hotTarget * Math.Pow(coldTarget / hotTarget, Rank(r, order.Length));
            if (chain.UphillProposed < MinUphillForSteering)
            {
                continue;
            }

            // Acceptance falls roughly like exp(-delta/T): a multiplicative step, damped and bounded, converges
            // without overshooting when the delta distribution shifts.
            double rate = Math.Max((double)chain.UphillAccepted / chain.UphillProposed, 1e-6);
            rankTemperature[r] *= Math.Clamp(Math.Pow(target / rate, 0.3), 0.5, 2.0);
        }

        // Keep the ladder ordered: a hotter rank is never colder than the next.
        for (int r = 1; r < rankTemperature.Length; r++)
        {
            rankTemperature[r] = Math.Min(rankTemperature[r], rankTemperature[r - 1]);
        }
    }

    private static void ExchangeReplicas(AnnealingChain[] chains, int[] order, int epoch, ref CounterRng rng)
    {
        for (int r = epoch & 1; r + 1 < order.Length; r += 2)
        {
            var hotter = chains[order[r]];
            var colder = chains[order[r + 1]];
            double betaDifference = (1.0 / colder.Temperature) - (1.0 / hotter.Temperature);
            double logAccept = betaDifference * (colder.State.Energy - hotter.State.Energy);
            if (logAccept >= 0 || rng.NextDouble() < Math.Exp(logAccept))
            {
                (order[r], order[r + 1]) = (order[r + 1], order[r]);
            }
        }
    }

    public static int[] Movable(FlatProblem problem)
    {
        var movable = new List<int>(problem.Partitions);
        for (int p = 0; p < problem.Partitions; p++)
        {
            if (!problem.Pinned[p])
            {
                movable.Add(p);
            }
        }

        return [.. movable];
    }

    /// <summary>Recomputes the final assignment's cost exactly and packages the result.</summary>
    public static SearchResult Finish(FlatProblem problem, int[] assignment, string backend, SearchAlgorithm algorithm, SearchStatistics statistics, IReadOnlyList<TracePoint> trace)
    {
        var exact = new SearchState(problem);
        exact.Reset(assignment);
        return new SearchResult(assignment, exact.Breakdown(), exact.Moves, exact.MovedBytes, backend, algorithm, statistics, trace.ToArray());
    }
}
