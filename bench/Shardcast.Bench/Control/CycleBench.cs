using System.Diagnostics;
using System.Globalization;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;

namespace Shardcast.Bench.Control;

/// <summary>
/// `cycles`: the planner as the control loop calls it, many cycles in a row on one cluster whose load drifts. Each
/// cycle plans from where the previous plan left the partitions (its assignment becomes the start), with each
/// partition's load moved by a random walk (a few percent a step) and, every tenth cycle, a hot spot of a few
/// partitions doubling; the plan's whole time (forecast-free loads, problem build, greedy baseline, search, guard,
/// sequencing) per cycle, p50 and p99, and what it moved. The first cycles rebalance the generated start; the
/// figures are over the cycles after a warm-up.
/// </summary>
internal static class CycleBench
{
    public static void Run(IReadOnlyList<(int Partitions, int Nodes, int TimeMs)> sizes, int cycles, int warmup, TextWriter output)
    {
        output.WriteLine($"cycles: {cycles} after {warmup} warm-up, drift 3 % a step, a hot spot every 10th cycle; {Environment.ProcessorCount} cores");
        output.WriteLine($"{"size",-12} {"time ms",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"moves/cycle",12} {"idle cycles",12} {"peak mean",10} {"peak max",9}");
        foreach (var (partitions, nodes, timeMs) in sizes)
        {
            var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, nodes, 12, 2, 1));
            var random = new Random(7);
            var times = new List<double>();
            var moves = new List<int>();
            var peaks = new List<double>();
            for (int cycle = 0; cycle < warmup + cycles; cycle++)
            {
                var clock = Stopwatch.StartNew();
                var plan = Planner.Plan(spec, new PlanOptions { TimeMs = timeMs, Seed = (ulong)cycle + 1, AdviseScaling = false });
                double ms = clock.Elapsed.TotalMilliseconds;
                if (cycle >= warmup)
                {
                    times.Add(ms);
                    moves.Add(plan.Moves.Count);
                    peaks.Add(plan.After.PeakUtilisation);
                }

                spec = Next(spec, plan, random, hotSpot: cycle % 10 == 9);
                if (cycle % 10 == 9)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{partitions}/{nodes}] cycle {cycle + 1}: {ms:0} ms, {plan.Moves.Count} moves, peak {plan.After.PeakUtilisation:P1}"));
                }
            }

            times.Sort();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{$"{partitions}/{nodes}",-12} {timeMs,8} {Percentile(times, 0.5),8:0.0} {Percentile(times, 0.99),8:0.0} {times[^1],8:0.0} {moves.Average(),12:0.0} {moves.Count(m => m == 0),12} {peaks.Average(),10:P1} {peaks.Max(),9:P1}"));
        }
    }

    /// <summary>The cluster a cycle later: the plan's placement as the start, each load drifted, a hot spot where asked.</summary>
    private static ClusterSpec Next(ClusterSpec spec, Plan plan, Random random, bool hotSpot)
    {
        var hot = hotSpot ? Enumerable.Range(0, 5).Select(_ => random.Next(spec.Partitions.Count)).ToHashSet() : [];
        var partitions = new PartitionSpec[spec.Partitions.Count];
        for (int p = 0; p < partitions.Length; p++)
        {
            var old = spec.Partitions[p];
            double factor = Math.Exp(0.03 * Gaussian(random)) * (hot.Contains(p) ? 2 : 1);
            var load = old.Load!.Select(row => row.Select(v => v * factor).ToArray()).ToArray();
            partitions[p] = old with { Node = spec.Nodes[plan.Assignment[p]].Id, Load = load };
        }

        return spec with { Partitions = partitions };
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double Percentile(List<double> sorted, double q) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * (sorted.Count - 1)))];
}
