using System.Globalization;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;

namespace Shardcast.Bench.Quality;

/// <summary>
/// Peak utilisation against bytes moved, annealer and greedy baseline under the same objective, for several
/// objectives: the default one and ones that weigh moves and headroom more, as an operator who cares about
/// peaks and data movement would set them. Both searches get the same time budget.
/// </summary>
internal static class ObjectiveSweep
{
    private static readonly (string Name, ObjectiveSpec Objective)[] Objectives =
    [
        ("default (w_bal 1, w_over 10, theta 0.8, w_move 0.1)", ObjectiveSpec.Default),
        ("w_move 100", ObjectiveSpec.Default with { WMove = 100 }),
        ("w_bal 0.1, w_over 100, theta 0.7, w_move 1000", ObjectiveSpec.Default with { WBalance = 0.1, WOver = 100, Theta = 0.7, WMove = 1000 }),
        ("w_bal 0.01, w_over 1000, theta 0.7, w_move 1000", ObjectiveSpec.Default with { WBalance = 0.01, WOver = 1000, Theta = 0.7, WMove = 1000 }),
    ];

    public static void Run(string[] sizes, double seconds, TextWriter output)
    {
        output.WriteLine($"| size | objective | search | peak utilisation | bytes moved | moves | cost | feasible |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (string size in sizes)
        {
            var (p, n, h, r) = BenchProblems.ParseSize(size);
            var spec = ClusterGenerator.Generate(new GeneratorOptions(p, n, h, r, 1));
            foreach (var (name, objective) in Objectives)
            {
                foreach (var algorithm in new[] { SearchAlgorithm.Anneal, SearchAlgorithm.Greedy })
                {
                    Console.Error.WriteLine($"[{size}] {name}: {algorithm}...");
                    var plan = Planner.Plan(spec with { Objective = objective }, new PlanOptions { Algorithm = algorithm, TimeMs = (int)(seconds * 1000), AdviseScaling = false });
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {size} | {name} | {algorithm.ToString().ToLowerInvariant()} | {plan.After.PeakUtilisation:P2} | {plan.After.MovedBytes / 1e12:0.0} TB | {plan.After.Moves} | {plan.After.Cost.Total:G5} | {(plan.Feasible ? "yes" : "no")} |"));
                }
            }
        }
    }
}
