using System.Diagnostics;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Bench.Throughput;

/// <summary>
/// Evaluated moves per second of the managed backend: the bare delta evaluation (random move, cost delta, no
/// acceptance) and whole annealing steps (proposal, constraint checks, delta, Metropolis, apply), on one core
/// and on all cores, each chain with its own state as in a real search. An annealing step that is refused
/// before its delta (a pinned partition, a forbidden node) is not counted; a best-of-three proposal counts three.
/// </summary>
internal static class ThroughputHarness
{
    public static void Run(string[] sizes, double seconds, TextWriter output)
    {
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}");
        output.WriteLine("| size P/N/H/R | measure | threads | million evaluated moves/s | per core |");
        output.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (string size in sizes)
        {
            var (p, n, h, r) = BenchProblems.ParseSize(size);
            var (_, problem) = BenchProblems.Create(p, n, h, r);

            // Without a move budget, so that no chain spends its time on proposals the budget refuses.
            problem.MaxMoves = int.MaxValue;
            problem.MaxBytes = double.PositiveInfinity;
            foreach (int threads in new[] { 1, Environment.ProcessorCount })
            {
                double delta = Measure(threads, seconds, () => DeltaOnly(problem));
                output.WriteLine($"| {size} | delta evaluation | {threads} | {delta / 1e6:0.0} | {delta / 1e6 / threads:0.0} |");
                double steps = Measure(threads, seconds, () => AnnealSteps(problem, 0.3, 0.6));
                output.WriteLine($"| {size} | annealing step | {threads} | {steps / 1e6:0.0} | {steps / 1e6 / threads:0.0} |");
            }
        }
    }

    /// <summary>Runs one worker per thread for the given time; each worker returns (evaluations, seconds).</summary>
    private static double Measure(int threads, double seconds, Func<Func<double, long>> makeWorker)
    {
        var workers = Enumerable.Range(0, threads).Select(_ => makeWorker()).ToArray();
        foreach (var w in workers)
        {
            w(0.2); // warm-up: tiered JIT and caches
        }

        var counts = new long[threads];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => counts[i] = workers[i](seconds));
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    private static Func<double, long> DeltaOnly(Kernels.Problem.FlatProblem problem)
    {
        var state = new SearchState(problem);
        state.Reset(problem.Initial);
        var rng = new CounterRng(1, (ulong)Environment.CurrentManagedThreadId);
        return seconds =>
        {
            long count = 0;
            float sink = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                for (int i = 0; i < 10_000; i++)
                {
                    int part = rng.NextInt(problem.Partitions);
                    int node = rng.NextInt(problem.Nodes);
                    sink += state.MoveDelta(part, node);
                }

                count += 10_000;
            }

            return sink == float.MaxValue ? 0 : count;
        };
    }

    private static Func<double, long> AnnealSteps(Kernels.Problem.FlatProblem problem, double swap, double bias)
    {
        var state = new SearchState(problem);
        state.Reset(problem.Initial);
        int[] movable = ParallelAnnealer.Movable(problem);
        var chain = new AnnealingChain(state, new MoveProposer(problem, movable), 1, Environment.CurrentManagedThreadId, swap, bias)
        {
            Temperature = TemperatureCalibrator.UphillScale(state, movable, 1) * 0.01,
        };
        return seconds =>
        {
            long before = chain.Evaluated;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                chain.Run(10_000);
            }

            return chain.Evaluated - before;
        };
    }
}
