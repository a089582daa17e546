using System.Globalization;
using Shardcast.Engine.Planning;
using Spectre.Console;

namespace Shardcast.Host.Commands;

/// <summary>The terminal summary of a plan: headline, cost terms, node utilisation before and after, moves.</summary>
public static class PlanSummary
{
    private const int NodesShown = 12;
    private const int MovesShown = 10;

    public static void Write(Plan plan, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = Interactive(output) ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive(output) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        console.Profile.Width = Math.Max(console.Profile.Width, 100);
        var spec = plan.Input.Spec;
        var stats = plan.Search.Statistics;
        string verdict = plan.Feasible ? "[green]feasible[/]" : "[red]infeasible[/]";
        console.MarkupLine(Invariant($"[bold]Plan[/] for {spec.Partitions.Count} partitions on {spec.Nodes.Count} nodes, {plan.Input.Steps} steps x {plan.Input.Resources} resources: {verdict}"));
        if (plan.Input.ForecastServed is { } served)
        {
            console.MarkupLine(Markup.Escape($"forecast from history: {served}"));
        }

        if (plan.Search.Fallback is { } fallback)
        {
            console.MarkupLine($"[yellow]backend {Markup.Escape(fallback.Requested)} did not search: {Markup.Escape(fallback.Reason)}; the {Markup.Escape(plan.Search.Backend)} backend did[/]");
        }

        console.MarkupLine(Invariant($"backend {plan.Search.Backend}, {PlanFileWriter.AlgorithmName(plan.Search.Algorithm)}: {stats.Elapsed.TotalMilliseconds:0} ms search, {stats.EvaluatedMoves:N0} moves evaluated ({stats.EvaluatedMoves / Math.Max(stats.Elapsed.TotalSeconds, 1e-9) / 1e6:0.0} M/s), {plan.Elapsed.TotalMilliseconds:0} ms in all"));
        console.MarkupLine(Invariant($"peak utilisation {plan.Before.PeakUtilisation:P1} -> [bold]{plan.After.PeakUtilisation:P1}[/]; {plan.Moves.Count} moves, {Bytes(plan.After.MovedBytes)}, {WaveCount(plan)} waves{(plan.SequenceSafe ? string.Empty : " [yellow](some waves overload a target)[/]")}"));

        if (plan.Guard is { } guard)
        {
            console.MarkupLine(Invariant($"movement guard: kept the {guard.Chosen} plan with {guard.UndoneMoves} moves that bought no peak undone (searched: {guard.Search.Moves} moves, {Bytes(guard.Search.MovedBytes)}, peak {guard.Search.PeakUtilisation:P1}; greedy: {guard.Greedy.Moves} moves, {Bytes(guard.Greedy.MovedBytes)}, peak {guard.Greedy.PeakUtilisation:P1})"));
        }

        foreach (var split in plan.Splits.Take(MovesShown))
        {
            console.MarkupLine(Markup.Escape(Invariant($"split: {split.Partition} at segment {split.At} into {split.Partition} and {split.Child} ({split.Reason})")));
        }

        foreach (var merge in plan.Merges.Take(MovesShown))
        {
            console.MarkupLine(Markup.Escape($"merge: {string.Join(" + ", merge.Partitions)} into {merge.Into} ({merge.Reason})"));
        }

        var ghosts = plan.Ghosts;
        foreach (var ghost in ghosts.Take(MovesShown))
        {
            console.MarkupLine(Markup.Escape(Invariant($"ghost: {ghost.Partition} on {ghost.Node}, ready by step {ghost.ReadyByStep} ({Bytes(ghost.Bytes)}; {ghost.Reason})")));
        }

        if (plan.Splits.Count + plan.Merges.Count + ghosts.Count > 3 * MovesShown)
        {
            console.MarkupLine(Invariant($"({plan.Splits.Count} splits, {plan.Merges.Count} merges, {ghosts.Count} ghosts in all: the plan file lists every one)"));
        }

        var capacity = plan.Capacity;
        if (capacity.Add > 0)
        {
            console.MarkupLine(Invariant($"[yellow]capacity:[/] the forecast needs at least {capacity.NodesNeeded} nodes of the median capacity at theta from step {capacity.FromStep}; there are {capacity.NodesNow}: add {capacity.Add}"));
        }
        else if (capacity.Remove > 0)
        {
            console.MarkupLine(Invariant($"capacity: the horizon's peak needs at least {capacity.NodesNeeded} of {capacity.NodesNow} nodes at theta: {capacity.Remove} could be removed, after draining {Markup.Escape(string.Join(", ", capacity.Drain))} ({Bytes(capacity.DrainBytes)})"));
        }

        if (plan.Curve is { } curve)
        {
            var table = new Table().Title("balance vs movement (a plan per byte budget)").AddColumn("budget").AddColumn(new TableColumn("moved").RightAligned())
                .AddColumn(new TableColumn("moves").RightAligned()).AddColumn(new TableColumn("peak").RightAligned()).AddColumn(new TableColumn("balance").RightAligned())
                .AddColumn(new TableColumn("cost").RightAligned()).AddColumn("feasible");
            foreach (var point in curve)
            {
                table.AddRow(point.BudgetBytes is { } limit ? Bytes(limit) : "none (the plan)", Bytes(point.MovedBytes), Invariant($"{point.Moves:N0}"), Invariant($"{point.PeakUtilisation:P1}"),
                    Invariant($"{point.Balance:0.###}"), Invariant($"{point.Cost:0.###}"), point.Feasible ? "yes" : "no");
            }

            console.Write(table);
        }

        var cost = new Table().Title("cost").AddColumn("term").AddColumn(new TableColumn("before").RightAligned()).AddColumn(new TableColumn("after").RightAligned());
        var b = plan.Before.Cost;
        var a = plan.After.Cost;
        var terms = new List<(string, double, double)>
        {
            ("balance", b.Balance, a.Balance), ("headroom", b.Headroom, a.Headroom), ("migration", b.Migration, a.Migration),
            ("affinity", b.Affinity, a.Affinity), ("lineage", b.Lineage, a.Lineage),
        };
        if (spec.UsesExtendedModel)
        {
            terms.AddRange([
                ("safety", b.Safety, a.Safety), ("resource balance", b.ResourceBalance, a.ResourceBalance), ("partition move", b.PartitionMove, a.PartitionMove),
                ("group move", b.GroupMove, a.GroupMove), ("node move", b.NodeMove, a.NodeMove)]);
        }

        terms.AddRange([("total", b.Total, a.Total), ("overload", b.Overload, a.Overload)]);
        foreach (var (name, before, after) in terms)
        {
            cost.AddRow(name, Invariant($"{before:G5}"), Invariant($"{after:G5}"));
        }

        cost.AddRow("broken constraints", plan.Before.Broken.Count.ToString(CultureInfo.InvariantCulture), plan.After.Broken.Count.ToString(CultureInfo.InvariantCulture));
        console.Write(cost);

        var nodes = new Table().Title(Invariant($"node utilisation (peak over the horizon; the {Math.Min(NodesShown, spec.Nodes.Count)} hottest before)"))
            .AddColumn("node").AddColumn("zone").AddColumn("state").AddColumn(new TableColumn("before").RightAligned()).AddColumn(new TableColumn("after").RightAligned()).AddColumn("after");
        foreach (int n in Enumerable.Range(0, spec.Nodes.Count).OrderByDescending(n => plan.Before.NodePeakUtilisation[n]).Take(NodesShown))
        {
            double after = plan.After.NodePeakUtilisation[n];
            nodes.AddRow(
                Markup.Escape(spec.Nodes[n].Id), Markup.Escape(spec.Nodes[n].Zone), spec.Nodes[n].State.ToString().ToLowerInvariant(),
                Invariant($"{plan.Before.NodePeakUtilisation[n]:P1}"), Invariant($"{after:P1}"), Bar(after));
        }

        console.Write(nodes);
        if (plan.Moves.Count > 0)
        {
            var moves = new Table().Title(Invariant($"moves (first {Math.Min(MovesShown, plan.Moves.Count)} of {plan.Moves.Count})"))
                .AddColumn("wave").AddColumn("partition").AddColumn("from").AddColumn("to").AddColumn(new TableColumn("bytes").RightAligned());
            foreach (var m in plan.Moves.Take(MovesShown))
            {
                moves.AddRow(m.Wave.ToString(CultureInfo.InvariantCulture), Markup.Escape(m.Partition), Markup.Escape(m.From), Markup.Escape(m.To), Bytes(m.Bytes));
            }

            console.Write(moves);
        }

        foreach (string broken in plan.After.Broken.Take(MovesShown))
        {
            console.MarkupLine($"[red]broken:[/] {Markup.Escape(broken)}");
        }

        if (!plan.Feasible)
        {
            string advice = plan.Scaling.NodesToAdd is { } k ? Invariant($"add {k} node(s) of capacity [{string.Join(", ", plan.Scaling.NodeCapacity.Select(c => c.ToString("G4", CultureInfo.InvariantCulture)))}]: {plan.Scaling.Reason}")
                : plan.Scaling.Reason.StartsWith("not computed", StringComparison.Ordinal) ? plan.Scaling.Reason
                : $"adding nodes does not help: {plan.Scaling.Reason}";
            console.MarkupLine($"[yellow]scaling advice:[/] {Markup.Escape(advice)}");
        }
    }

    /// <summary>Colour only for a terminal: redirected output and captured writers get plain text.</summary>
    private static bool Interactive(TextWriter output) => output == Console.Out && !Console.IsOutputRedirected;

    private static int WaveCount(Plan plan) => plan.Moves.Count == 0 ? 0 : plan.Moves.Max(m => m.Wave) + 1;

    private static string Bar(double utilisation)
    {
        const int width = 20;
        int filled = (int)Math.Round(Math.Clamp(utilisation, 0, 1.5) / 1.5 * width);
        string colour = utilisation > 1 ? "red" : utilisation > 0.8 ? "yellow" : "green";
        return $"[{colour}]{new string('#', filled)}[/]{new string('.', width - filled)}";
    }

    private static string Bytes(double bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB"];
        int u = 0;
        while (bytes >= 1000 && u < units.Length - 1)
        {
            bytes /= 1000;
            u++;
        }

        return Invariant($"{bytes:0.#} {units[u]}");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
