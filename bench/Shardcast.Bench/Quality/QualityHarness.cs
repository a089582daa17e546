using System.Globalization;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Search;

namespace Shardcast.Bench.Quality;

/// <summary>
/// Time to quality: the annealer run afresh with budgets of 0.1 to 5 s, against the best it finds in a long
/// run and against the greedy baseline, judged by the double-precision reference cost. Writes a markdown
/// table to the output and an SVG curve per size under docs/img/.
/// </summary>
internal static class QualityHarness
{
    private static readonly double[] Budgets = [0.1, 0.5, 1, 2, 5];

    public static void Run(string[] sizes, double longSeconds, TextWriter output)
    {
        var backend = new ManagedBackend();
        foreach (string size in sizes)
        {
            var (p, n, h, r) = BenchProblems.ParseSize(size);
            var (input, problem) = BenchProblems.Create(p, n, h, r);
            var start = ReferenceCost.Evaluate(input, input.Initial);
            output.WriteLine($"## {size} (P/N/H/R), {Environment.ProcessorCount} cores");
            output.WriteLine(Invariant($"start: energy {start.Cost.Energy:G6}, cost {start.Cost.Total:G6}, peak utilisation {start.PeakUtilisation:P1}, broken {start.Broken.Count}"));
            output.WriteLine();
            Console.Error.WriteLine($"[{size}] long run of {longSeconds} s...");
            var best = backend.Search(problem, input.Initial, new SearchOptions { TimeBudget = TimeSpan.FromSeconds(longSeconds) });
            var bestEval = ReferenceCost.Evaluate(input, best.Assignment);
            output.WriteLine("| search | budget | energy | gap to long-run best | cost | peak utilisation | moves | bytes moved | feasible |");
            output.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            var points = new List<(double Seconds, double Energy)>();
            foreach (double budget in Budgets)
            {
                Console.Error.WriteLine($"[{size}] anneal {budget} s...");
                var result = backend.Search(problem, input.Initial, new SearchOptions { TimeBudget = TimeSpan.FromSeconds(budget) });
                var e = ReferenceCost.Evaluate(input, result.Assignment);
                points.Add((budget, e.Cost.Energy));
                Row(output, "anneal", budget, e, bestEval);
            }

            Row(output, "anneal", longSeconds, bestEval, bestEval);
            Console.Error.WriteLine($"[{size}] greedy...");
            var greedy = backend.Search(problem, input.Initial, new SearchOptions { Algorithm = SearchAlgorithm.Greedy, TimeBudget = TimeSpan.FromSeconds(longSeconds) });
            var greedyEval = ReferenceCost.Evaluate(input, greedy.Assignment);
            Row(output, Invariant($"greedy (ran {greedy.Statistics.Elapsed.TotalSeconds:0.0} s)"), longSeconds, greedyEval, bestEval);
            output.WriteLine();
            string file = Path.Combine("docs", "img", $"time-to-quality-{size.Replace('/', '-')}.svg");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, SvgChart.TimeToQuality($"Time to quality, {size} (P/N/H/R), {Environment.ProcessorCount} cores", best.Trace, points, bestEval.Cost.Energy, greedyEval.Cost.Energy));
            output.WriteLine($"chart: {file}");
            output.WriteLine();
        }
    }

    private static void Row(TextWriter output, string name, double budget, ReferenceEvaluation e, ReferenceEvaluation best)
    {
        double gap = (e.Cost.Energy - best.Cost.Energy) / Math.Abs(best.Cost.Energy);
        output.WriteLine(Invariant($"| {name} | {budget} s | {e.Cost.Energy:G6} | {gap:P2} | {e.Cost.Total:G6} | {e.PeakUtilisation:P1} | {e.Moves} | {e.MovedBytes / 1e12:0.00} TB | {(e.Feasible ? "yes" : "no")} |"));
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
