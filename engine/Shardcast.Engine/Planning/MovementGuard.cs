namespace Shardcast.Engine.Planning;

/// <summary>
/// Keeps a plan worth its movement: it never moves more bytes than the greedy rebalancer's plan on the same
/// cluster and never ends with a higher peak utilisation or more broken constraints or overload. Both plans are
/// trimmed first (<see cref="MoveTrim"/>: the moves that buy no peak undone, under the plan's own peak and never
/// above theta), and the search's once more up to greedy's peak where that is higher; of the trimmed plans that are
/// admissible against greedy's, the one of lower cost is kept, and greedy's own plan where none is (trimming never
/// makes a plan worse than it was, so greedy's trimmed plan is admissible unless rounding says otherwise).
/// </summary>
public static class MovementGuard
{
    public static (int[] Assignment, ReferenceEvaluation After, MovementGuardReport Report) Choose(PlanningInput input, int[] searched, ReferenceEvaluation searchedAfter, int[] greedy)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(searchedAfter);
        var greedyAfter = ReferenceCost.Evaluate(input, greedy);
        double theta = input.Spec.Objective.Theta;
        double ownLimit = Math.Min(searchedAfter.PeakUtilisation, theta);
        var candidates = new List<Candidate>
        {
            Trimmed(input, searched, searchedAfter, "search", ownLimit),
            Trimmed(input, greedy, greedyAfter, "greedy", Math.Min(greedyAfter.PeakUtilisation, theta)),
        };

        // The search's plan may peak lower than greedy's and still move more: trimmed up to greedy's peak instead,
        // it keeps its placement where that placement is what buys the peak (only where that limit is another one).
        double greedysLimit = Math.Min(Math.Max(searchedAfter.PeakUtilisation, greedyAfter.PeakUtilisation), theta);
        if (greedysLimit > ownLimit)
        {
            candidates.Insert(1, Trimmed(input, searched, searchedAfter, "search", greedysLimit));
        }

        var chosen = candidates
            .Where(c => Admissible(c.After, greedyAfter))
            .OrderBy(c => c.After.Cost.Energy)
            .FirstOrDefault() ?? new Candidate("greedy", greedy, greedyAfter, 0);
        var report = new MovementGuardReport(
            chosen.Source,
            chosen.Undone,
            new PlanFigures(searchedAfter.PeakUtilisation, searchedAfter.MovedBytes, searchedAfter.Moves, searchedAfter.Cost.Energy),
            new PlanFigures(greedyAfter.PeakUtilisation, greedyAfter.MovedBytes, greedyAfter.Moves, greedyAfter.Cost.Energy));
        return (chosen.Assignment, chosen.After, report);
    }

    /// <summary>No more broken constraints, overload, peak or bytes than greedy's plan (to rounding).</summary>
    public static bool Admissible(ReferenceEvaluation candidate, ReferenceEvaluation greedy)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(greedy);
        return candidate.Broken.Count <= greedy.Broken.Count
            && candidate.Cost.Overload <= greedy.Cost.Overload + 1e-9
            && candidate.PeakUtilisation <= greedy.PeakUtilisation + 1e-9
            && candidate.MovedBytes <= greedy.MovedBytes + (1e-12 * greedy.MovedBytes);
    }

    private static Candidate Trimmed(PlanningInput input, int[] plan, ReferenceEvaluation after, string source, double limit)
    {
        var (trimmed, undone) = MoveTrim.Trim(input, plan, limit);
        if (undone == 0)
        {
            return new Candidate(source, plan, after, 0);
        }

        var evaluation = ReferenceCost.Evaluate(input, trimmed);
        bool worse = evaluation.Broken.Count > after.Broken.Count
            || evaluation.Cost.Overload > after.Cost.Overload + 1e-9
            || evaluation.PeakUtilisation > Math.Max(after.PeakUtilisation, limit) + 1e-9;
        return worse ? new Candidate(source, plan, after, 0) : new Candidate(source, trimmed, evaluation, undone);
    }

    private sealed record Candidate(string Source, int[] Assignment, ReferenceEvaluation After, int Undone);
}

/// <summary>A plan's peak utilisation, bytes moved, moves and cost (the energy).</summary>
public sealed record PlanFigures(double PeakUtilisation, double MovedBytes, int Moves, double Energy);

/// <summary>What the movement guard kept (`search` or `greedy`), how many of its moves it undid, and the two plans as searched.</summary>
public sealed record MovementGuardReport(string Chosen, int UndoneMoves, PlanFigures Search, PlanFigures Greedy);
