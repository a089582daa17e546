using System.Diagnostics;
using Shardcast.Engine.Cluster;
using Shardcast.Kernels;

namespace Shardcast.Engine.Planning;

/// <summary>
/// decide -> search -> sequence for one cluster: builds the flat problem, runs the chosen backend and
/// algorithm within the budget, judges start and result with the reference cost, orders the moves into
/// capacity-safe waves and, when the plan cannot fit, says how many nodes would make it fit.
/// </summary>
public static class Planner
{
    public static Plan Plan(ClusterSpec spec, PlanOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        options ??= new PlanOptions();
        long started = options.Clock.GetTimestamp();
        var input = PlanningInput.From(spec, options.ForecastNetwork);
        var restructuring = options.Restructure ? Restructure.Decide(input) : null;
        if (restructuring is { Changed: true })
        {
            input = PlanningInput.Restructured(restructuring.Spec, input);
        }

        var problem = ProblemBuilder.Build(input);
        var plan = Plan(input, problem, options, started, cancellationToken);
        return restructuring is { Changed: true } ? plan with { Splits = restructuring.Splits, Merges = restructuring.Merges } : plan;
    }

    /// <summary>One plan of a cluster whose problem is built already (the movement curve plans one problem under several byte budgets).</summary>
    internal static Plan Plan(PlanningInput input, Kernels.Problem.FlatProblem problem, PlanOptions options, long started, CancellationToken cancellationToken)
    {
        var spec = input.Spec;
        var backend = BackendCatalog.Resolve(options.Backend ?? spec.Search.Backend);
        long judging = options.Clock.GetTimestamp();
        var before = ReferenceCost.Evaluate(input, input.Initial);
        var searchOptions = SearchOptionsFor(spec, WithinDeadline(options, options.Clock.GetElapsedTime(judging)));
        bool guarded = options.MovementGuard && searchOptions.Algorithm != SearchAlgorithm.Greedy && !spec.UsesExtendedModel;
        SearchResult? baseline = null;
        if (guarded)
        {
            (baseline, searchOptions) = GreedyBaseline(problem, input, searchOptions, cancellationToken);
        }

        var result = backend.Search(problem, input.Initial, searchOptions, cancellationToken);
        var after = ReferenceCost.Evaluate(input, result.Assignment);

        // The search minimises the same cost; if a budget left it worse than the start, keep the start.
        int[] assignment = result.Assignment;
        if (Worse(after, before))
        {
            assignment = input.Initial.ToArray();
            after = before;
        }

        MovementGuardReport? guard = null;
        if (baseline is not null)
        {
            (assignment, after, guard) = MovementGuard.Choose(input, assignment, after, baseline.Assignment);
        }

        var (waves, safe) = MoveSequencer.Sequence(input, assignment);
        var moves = waves
            .OrderBy(w => w.Value).ThenBy(w => w.Key)
            .Select(w => new PlannedMove(spec.Partitions[w.Key].Id, spec.Partitions[w.Key].Node, spec.Nodes[assignment[w.Key]].Id, spec.Partitions[w.Key].SizeBytes, w.Value))
            .ToList();
        var plan = new Plan(input, assignment, moves, before, after, ScalingAdvice.None(CapacityAdvisor.MedianCapacity(spec)), result, safe, TimeSpan.Zero) { Guard = guard };
        if (!after.Feasible)
        {
            plan = plan with
            {
                Scaling = !options.AdviseScaling ? new ScalingAdvice(null, CapacityAdvisor.MedianCapacity(spec), "not computed: scaling advice was turned off")
                    : cancellationToken.IsCancellationRequested ? new ScalingAdvice(null, CapacityAdvisor.MedianCapacity(spec), "not computed: the plan was interrupted")
                    : CapacityAdvisor.Advise(input, plan, backend, searchOptions, cancellationToken),
            };
        }

        return plan with { Elapsed = options.Clock.GetElapsedTime(started) };
    }

    /// <summary>Share of a timed search's budget the greedy baseline may take first.</summary>
    internal const double GreedyShare = 0.2;

    /// <summary>
    /// The greedy rebalancer's plan on the managed backend, run to convergence within a share of the budget (without
    /// a time budget, to convergence), and the search's options with what is left.
    /// </summary>
    private static (SearchResult Baseline, SearchOptions Remaining) GreedyBaseline(Kernels.Problem.FlatProblem problem, PlanningInput input, SearchOptions options, CancellationToken cancellationToken)
    {
        var greedy = options with
        {
            Algorithm = SearchAlgorithm.Greedy,
            TimeBudget = options.TimeBudget * GreedyShare,
            // Without a time budget, bounded by accepted moves only: a greedy descent that converges stops well before.
            MaxStepsPerChain = options.TimeBudget is null ? 16L * Math.Max(problem.Partitions, 1) : null,
            TargetEnergy = double.NegativeInfinity,
            Progress = null,
        };
        var baseline = BackendCatalog.Resolve("managed").Search(problem, input.Initial, greedy, cancellationToken);
        if (options.TimeBudget is { } budget)
        {
            var left = budget - baseline.Statistics.Elapsed;
            options = options with { TimeBudget = left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1) };
        }

        return (baseline, options);
    }

    /// <summary>Options whose time budget ends the search in time to judge and sequence the result by the deadline.</summary>
    internal static PlanOptions WithinDeadline(PlanOptions options, TimeSpan judgeTime)
    {
        if (options.Deadline is not { } deadline)
        {
            return options;
        }

        var left = options.Clock.GetElapsedTime(options.Clock.GetTimestamp(), deadline) - (2 * judgeTime);
        double ms = Math.Min(left.TotalMilliseconds, options.TimeMs ?? int.MaxValue);
        return options with { TimeMs = (int)Math.Clamp(ms, 1, int.MaxValue) };
    }

    private static bool Worse(ReferenceEvaluation candidate, ReferenceEvaluation start)
    {
        if (candidate.Broken.Count != start.Broken.Count)
        {
            return candidate.Broken.Count > start.Broken.Count;
        }

        return candidate.Cost.Energy > start.Cost.Energy + (1e-9 * Math.Abs(start.Cost.Energy));
    }

    public static SearchOptions SearchOptionsFor(ClusterSpec spec, PlanOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        var algorithm = options.Algorithm ?? ParseAlgorithm(spec.Search.Algorithm);
        int timeMs = options.TimeMs ?? spec.Search.TimeMs;
        if (timeMs <= 0)
        {
            throw new PlanningException($"the time budget must be positive, found {timeMs} ms");
        }

        Debug.Assert(options.StepsPerChain is null or > 0, "validated by the caller");
        return new SearchOptions
        {
            Algorithm = algorithm,
            TimeBudget = options.StepsPerChain is null ? TimeSpan.FromMilliseconds(timeMs) : null,
            MaxStepsPerChain = options.StepsPerChain,
            Seed = options.Seed ?? spec.Search.Seed,
            Threads = options.Threads,
            Chains = options.Chains,
            Clock = options.Clock,
            TargetEnergy = options.TargetCost ?? double.NegativeInfinity,
            Progress = options.Progress,
        };
    }

    public static SearchAlgorithm ParseAlgorithm(string name) => name switch
    {
        "anneal" => SearchAlgorithm.Anneal,
        "genetic" => SearchAlgorithm.Genetic,
        "greedy" => SearchAlgorithm.Greedy,
        "genetic-anneal" => SearchAlgorithm.GeneticThenAnneal,
        _ => throw new PlanningException($"unknown algorithm '{name}'; expected anneal, genetic, greedy or genetic-anneal"),
    };
}
