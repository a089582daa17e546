using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Planning;

/// <summary>
/// The balance-vs-movement curve: the best plan the planner finds under each of several byte budgets, with its
/// peak utilisation, balance and cost, so that an operator can see what each further byte of movement buys. One
/// problem is built and planned once per budget (the budget is the search's hard bound on bytes moved, as the
/// cluster file's `budget.max_bytes` is, and the tighter of the two holds), each with the plan's own options. A
/// larger budget never shows a worse plan than a smaller one: where its search did worse, the smaller budget's
/// plan stands for it (it is within the larger budget too).
/// </summary>
public static class MovementCurve
{
    /// <summary>The budgets `auto` asks for: none at all, then 1/16, 1/8, 1/4, 1/2 and 3/4 of what the unbudgeted plan moves (the plan itself is the last point).</summary>
    public static IReadOnlyList<double> AutoBudgets(double planBytes) =>
        planBytes <= 0 ? [0] : [0, planBytes / 16, planBytes / 8, planBytes / 4, planBytes / 2, 3 * planBytes / 4];

    /// <summary>The plan with its curve: a point per budget (null: <see cref="AutoBudgets"/> of the plan's bytes), the plan itself last.</summary>
    public static Plan Attach(Plan plan, IReadOnlyList<double>? budgets, PlanOptions options, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        // The curve plans the cluster the plan placed: after its splits and merges, with its loads as forecast.
        var points = Compute(plan.Input.Spec, budgets ?? AutoBudgets(plan.After.MovedBytes), options with { Restructure = false }, progress, cancellationToken);
        return plan with { Curve = [.. points, CurvePoint.Of(null, plan)] };
    }

    public static IReadOnlyList<CurvePoint> Compute(ClusterSpec spec, IReadOnlyList<double> budgets, PlanOptions options, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(budgets);
        ArgumentNullException.ThrowIfNull(options);
        foreach (double budget in budgets)
        {
            if (!(budget >= 0))
            {
                throw new PlanningException($"a byte budget of the curve must be zero or more, found {budget}");
            }
        }

        var input = PlanningInput.From(spec, options.ForecastNetwork);
        var problem = ProblemBuilder.Build(input);
        double own = problem.MaxBytes;
        var points = new List<CurvePoint>(budgets.Count);
        try
        {
            foreach (double budget in budgets.Order())
            {
                cancellationToken.ThrowIfCancellationRequested();
                problem.MaxBytes = Math.Min(own, budget);
                var plan = Planner.Plan(input, problem, options with { AdviseScaling = false, Progress = null, Deadline = null }, options.Clock.GetTimestamp(), cancellationToken);
                var point = CurvePoint.Of(budget, plan);

                // A plan within a smaller budget is within this one too: a search that did worse here keeps the better.
                if (points.Count > 0 && points[^1].Energy < point.Energy)
                {
                    point = points[^1] with { BudgetBytes = budget };
                }

                points.Add(point);
                progress?.Report(points.Count);
            }
        }
        finally
        {
            problem.MaxBytes = own;
        }

        return points;
    }
}

/// <summary>One point of the curve: the budget, and the plan found under it.</summary>
/// <param name="Energy">The cost with the penalties for overload and broken constraints (what the search minimises): the points are ordered by it.</param>
public sealed record CurvePoint(double? BudgetBytes, double MovedBytes, int Moves, double PeakUtilisation, double Balance, double Cost, double Energy, bool Feasible)
{
    /// <summary>A plan as a point; <paramref name="budget"/> null for the unbudgeted plan.</summary>
    public static CurvePoint Of(double? budget, Plan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new CurvePoint(budget, plan.After.MovedBytes, plan.After.Moves, plan.After.PeakUtilisation, plan.After.Cost.Balance, plan.After.Cost.Total, plan.After.Cost.Energy, plan.Feasible);
    }
}
