using Shardcast.Engine.Planning;

namespace Shardcast.Engine.Roadef;

/// <param name="Assignment">The machine of every process in the returned solution.</param>
/// <param name="Initial">The exact judgement of the initial assignment.</param>
/// <param name="Final">The exact judgement of the returned solution.</param>
/// <param name="Backend">The engine backend that searched.</param>
/// <param name="Note">Why the returned solution is not the search's, when it is not; else null.</param>
/// <param name="Fallback">The backend asked for and why it did not search, when another did; else null.</param>
public sealed record RoadefSolution(int[] Assignment, RoadefEvaluation Initial, RoadefEvaluation Final, string Backend, TimeSpan SearchTime, long EvaluatedMoves, string? Note, Kernels.BackendFallback? Fallback = null);

/// <summary>
/// Solves a challenge instance with the engine itself: maps it to a cluster (<see cref="RoadefMapping"/>), plans
/// it with the engine's search under the given options, then judges the result with the exact integer checker.
/// A result the checker refuses (or one worse than the start) is never returned: the initial assignment,
/// feasible by the challenge's rules, is.
/// </summary>
public static class RoadefSolver
{
    public static RoadefSolution Solve(RoadefInstance instance, int[] initial, PlanOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(options);
        long judging = options.Clock.GetTimestamp();
        var start = RoadefChecker.Evaluate(instance, initial, initial);
        var judgeTime = options.Clock.GetElapsedTime(judging);
        var spec = RoadefMapping.ToCluster(instance, initial);

        // The exact judgement of the result comes after the plan, so a deadline for the whole solve is moved
        // forward by about what judging the start took.
        var plan = Planner.Plan(
            spec,
            options with
            {
                AdviseScaling = false,
                Deadline = options.Deadline is { } deadline ? PlanOptions.Before(deadline, 1.5 * judgeTime, options.Clock) : null,
            },
            cancellationToken);
        var assignment = plan.Assignment.ToArray();
        var final = RoadefChecker.Evaluate(instance, initial, assignment);
        string? note = null;
        if (!final.Feasible && start.Feasible)
        {
            note = $"the search's solution broke {final.Violations.Count} constraints by the exact check ({final.Violations[0].Detail}); the initial assignment is returned";
        }
        else if (final.Feasible && final.Objective > start.Objective)
        {
            note = "the search found nothing better than the initial assignment";
        }

        if (note is not null)
        {
            assignment = initial.ToArray();
            final = start;
        }

        return new RoadefSolution(assignment, start, final, plan.Search.Backend, plan.Search.Statistics.Elapsed, plan.Search.Statistics.EvaluatedMoves, note, plan.Search.Fallback);
    }
}
