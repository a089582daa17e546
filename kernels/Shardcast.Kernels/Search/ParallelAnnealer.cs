using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search.Exact;

namespace Shardcast.Kernels.Search;

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

    /// <summary>
    /// Share of a time budget kept for <see cref="PairRepack"/> before the polish, where it applies: measured on the
    /// ROADEF A instances, where annealing's last fifth gains less than the exact pairs find (docs/benchmarks.md).
    /// </summary>
    private const double RepackShare = 0.2;

    /// <summary>
    /// Share of a time budget kept for <see cref="RuinRecreate"/> after the pairs, where it applies. On a1_4 at 60 s,
    /// none, a fifth, two fifths and three fifths gave means of 260.0 M, 259.5 M, 255.1 M and 261.0 M over seeds 1-4
    /// (docs/benchmarks.md): the rounds gain more than the annealing's late phase, but the annealing needs the rest.
    /// </summary>
    private const double RuinShare = 0.4;

    /// <summary>
    /// Share of a time budget, taken from the end of the ruin rounds, for <see cref="CyclicExchange"/>: chains of
    /// single replacements over up to <see cref="CyclicLength"/> nodes that neither the rounds nor the polish reach.
    /// From the 300 s plans of the ROADEF A instances a pass of them gained 0.1 to 0.7 % on a2_2, a2_3 and a2_5 in
    /// 2 to 7 s (docs/benchmarks.md); it stops earlier where no chain is left.
    /// </summary>
    private const double CyclicShare = 0.05;

    /// <summary>Nodes one cyclic exchange passes through at most: five gained as much as six in less time.</summary>
    private const int CyclicLength = 5;

    /// <summary>Passes of cyclic exchange under a step budget, where no clock bounds them.</summary>
    private const int CyclicPassesPerStepBudget = 20;

    /// <summary>Chain steps one ruin-and-recreate round stands for under a step budget: about the moves a round evaluates, measured in time.</summary>
    private const int StepsPerRuinRound = 100;

    public static SearchResult Run(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, string backend, CancellationToken cancellationToken) =>
        Run(problem, start, options, backend, (movable, count) => new ManagedChainSet(problem, movable, options, count), options.EffectiveChains, cancellationToken);

    /// <summary>
    /// The annealing search with its chains wherever <paramref name="createChains"/> puts them: repair, warm start,
    /// calibration and the final polish run here on the host; the chains run their epochs in the chain set.
    /// </summary>
    public static SearchResult Run(
        FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, string backend,
        Func<int[], int, IChainSet> createChains, int chainCount, CancellationToken cancellationToken)
    {
        var fullClock = new SearchClock(options);
        int[] movable = Movable(problem);
        bool polish = LocalPolish.PassFits(problem, movable);
        bool repack = PairRepack.SweepFits(problem);
        bool ruin = RuinRecreate.Fits(problem);
        bool cyclic = CyclicExchange.Fits(problem);
        var cyclicClock = new SearchClock(options with { TimeBudget = options.TimeBudget * (1 - (polish ? PolishShare : 0)) });
        var ruinClock = new SearchClock(options with { TimeBudget = options.TimeBudget * (1 - (polish ? PolishShare : 0) - (cyclic ? CyclicShare : 0)) });
        var repackBudget = options.TimeBudget * (1 - (polish ? PolishShare : 0) - (ruin ? RuinShare : 0));
        var repackClock = new SearchClock(options with { TimeBudget = repackBudget });
        double kept = (polish ? PolishShare : 0) + (repack ? RepackShare : 0) + (ruin ? RuinShare : 0);
        var clock = new SearchClock(options with { TimeBudget = options.TimeBudget * (1 - kept) });
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
        using var chains = createChains(movable, chainCount);
        chains.Start(first.Assignment);

        // order[r] is the chain at temperature rank r (0 = hottest); exchanges permute it.
        int[] order = Enumerable.Range(0, chainCount).ToArray();
        int[] best = first.Assignment.ToArray();
        double bestEnergy = first.Energy;
        clock.Record(bestEnergy);
        var exchangeRng = new CounterRng(options.Seed, 0xE8C4A9CEUL);
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

        var chainTemperature = new double[chainCount];
        void Anneal(SearchClock until)
        {
            while (!until.ShouldStop(steps, bestEnergy, cancellationToken))
            {
                for (int r = 0; r < chainCount; r++)
                {
                    chainTemperature[order[r]] = rankTemperature[r];
                }

                chains.RunEpoch(chainTemperature, stepsPerEpoch);
                SteerTemperatures(chains, order, rankTemperature, clock.Progress(steps + stepsPerEpoch), acceptanceScale);
                steps += stepsPerEpoch;
                epoch++;
                if (epoch % ResynchroniseEvery == 0)
                {
                    chains.Resynchronise();
                }

                for (int i = 0; i < chainCount; i++)
                {
                    if (chains.Energy(i) < bestEnergy)
                    {
                        bestEnergy = chains.Energy(i);
                        chains.CopyAssignment(i, best);
                    }
                }

                clock.Record(bestEnergy);
                ExchangeReplicas(chains, order, chainTemperature, epoch, ref exchangeRng);
            }
        }

        // The host phases after the chains (repack, polish) work on a copy of the best and hand it back when better.
        void KeepIfBetter(SearchState candidate)
        {
            if (candidate.Energy < bestEnergy)
            {
                bestEnergy = candidate.Energy;
                candidate.Assignment.CopyTo(best, 0);
                clock.Record(bestEnergy);
            }
        }

        Anneal(clock);
        long evaluated = warmEvaluated, accepted = warmAccepted;
        if (repack)
        {
            var repackRng = new CounterRng(options.Seed, 0x2EBAC4UL);

            // Under a step budget the pairs get the same share of it, in divisions visited, as of a time budget.
            long repackVisits = options.TimeBudget is null && options.MaxStepsPerChain is { } stepBudget
                ? (long)(stepBudget * chainCount * RepackShare / (1 - RepackShare))
                : long.MaxValue;
            while (!cancellationToken.IsCancellationRequested && bestEnergy > options.TargetEnergy)
            {
                var repacked = first;
                repacked.Reset(best);
                var (_, visited, improved) = new PairRepack(repacked).Sweep(ref repackRng, repackVisits, () => repackClock.ShouldStop(0, repacked.Energy, cancellationToken));
                evaluated += visited;
                accepted += improved;
                KeepIfBetter(repacked);

                // Every pair is exhausted and the repack's share is not: the chains go on, cold, from the repacked
                // plan for half of what is left, then the pairs are tried again on what they find.
                if (repackBudget is not { } budget || repackClock.ShouldStop(0, bestEnergy, cancellationToken))
                {
                    break;
                }

                var left = budget - repackClock.Elapsed;
                chains.Start(best);
                Anneal(new SearchClock(options with { TimeBudget = left / 2, MaxStepsPerChain = null }));
            }
        }

        // One lane per chain, so the rounds use the cores the chains used; capped, since a device runs thousands.
        // Lane 0 re-divides node sets exactly from the second leg on, where cbc is installed and the cost suits it.
        void RuinRounds(SearchClock until, long roundLimit)
        {
            var lanes = new RuinLanes(problem, first, best, Math.Min(chainCount, RuinLanes.MaxLanes), options.Seed, options.EffectiveThreads,
                exactLane: NodeSetRepack.Fits(problem));
            var (ruined, rounds, gained) = lanes.Run(roundLimit, lane => until.ShouldStop(0, lane.Energy, cancellationToken), () => until.TimeLeft);
            evaluated += rounds;
            accepted += gained;
            KeepIfBetter(ruined);
        }

        if (ruin && !cancellationToken.IsCancellationRequested && bestEnergy > options.TargetEnergy)
        {
            // Under a step budget the rounds get the same share of it as of a time budget.
            long ruinRounds = options.TimeBudget is null && options.MaxStepsPerChain is { } stepBudget
                ? (long)(stepBudget * chainCount * RuinShare / (1 - RuinShare) / StepsPerRuinRound)
                : long.MaxValue;
            RuinRounds(ruinClock, ruinRounds);
        }

        if (cyclic && !cancellationToken.IsCancellationRequested && bestEnergy > options.TargetEnergy)
        {
            var exchanged = first;
            exchanged.Reset(best);
            var exchange = new CyclicExchange(exchanged, new SearchState(problem), movable, CyclicLength, options.Seed);
            int passLimit = options.TimeBudget is null ? CyclicPassesPerStepBudget : int.MaxValue;
            var (_, exchangesKept) = exchange.Run(passLimit, () => cyclicClock.ShouldStop(0, exchanged.Energy, cancellationToken));
            evaluated += exchange.Arcs;
            accepted += exchangesKept;
            KeepIfBetter(exchanged);

            // The chains usually run out before their share does; the rounds take back what is left of it.
            if (options.TimeBudget is not null && !cyclicClock.ShouldStop(0, bestEnergy, cancellationToken))
            {
                RuinRounds(cyclicClock, long.MaxValue);
            }
        }

        var (chainEvaluated, chainAccepted) = chains.Totals();
        evaluated += chainEvaluated;
        accepted += chainAccepted;
        if (!cancellationToken.IsCancellationRequested && bestEnergy > options.TargetEnergy && polish)
        {
            var polished = first;
            polished.Reset(best);
            var polishRng = new CounterRng(options.Seed, 0x9011_54UL);
            var (polishEvaluated, polishApplied, _) = LocalPolish.Run(polished, movable, ref polishRng, () => fullClock.ShouldStop(0, polished.Energy, cancellationToken));
            polished.Resynchronise();
            evaluated += polishEvaluated;
            accepted += polishApplied;
            KeepIfBetter(polished);
        }

        return Finish(problem, best, backend, SearchAlgorithm.Anneal, new SearchStatistics(evaluated, accepted, epoch, clock.Elapsed), clock.Trace);
    }

    private static double Rank(int r, int count) => count == 1 ? 1 : (double)r / (count - 1);

    /// <summary>Moves each rank's temperature toward the acceptance target for its rank at this point of the budget.</summary>
    private static void SteerTemperatures(IChainSet chains, int[] order, double[] rankTemperature, double progress, double scale)
    {
        double hotTarget = scale * HotAcceptStart * Math.Pow(HotAcceptEnd / HotAcceptStart, progress);
        double coldTarget = scale * ColdAcceptStart * Math.Pow(ColdAcceptEnd / ColdAcceptStart, progress);
        for (int r = 0; r < order.Length; r++)
        {
            var (proposed, acceptedUphill) = chains.Uphill(order[r]);
            double target = hotTarget * Math.Pow(coldTarget / hotTarget, Rank(r, order.Length));
            if (proposed < MinUphillForSteering)
            {
                continue;
            }

            // Acceptance falls roughly like exp(-delta/T): a multiplicative step, damped and bounded, converges
            // without overshooting when the delta distribution shifts.
            double rate = Math.Max((double)acceptedUphill / proposed, 1e-6);
            rankTemperature[r] *= Math.Clamp(Math.Pow(target / rate, 0.3), 0.5, 2.0);
        }

        // Keep the ladder ordered: a hotter rank is never colder than the next.
        for (int r = 1; r < rankTemperature.Length; r++)
        {
            rankTemperature[r] = Math.Min(rankTemperature[r], rankTemperature[r - 1]);
        }
    }

    private static void ExchangeReplicas(IChainSet chains, int[] order, double[] chainTemperature, int epoch, ref CounterRng rng)
    {
        for (int r = epoch & 1; r + 1 < order.Length; r += 2)
        {
            int hotter = order[r];
            int colder = order[r + 1];
            double betaDifference = (1.0 / chainTemperature[colder]) - (1.0 / chainTemperature[hotter]);
            double logAccept = betaDifference * (chains.Energy(colder) - chains.Energy(hotter));
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
