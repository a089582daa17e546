using System.Diagnostics;
using Shardcast.Kernels;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.OpenCl;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Search;

namespace Shardcast.Bench.Throughput;

/// <summary>
/// Per backend (managed, OpenCL, CUDA where present), on the same generated clusters: annealing steps evaluated per second by the backend's chain set
/// (the same proposals, constraint checks, deltas and Metropolis rule everywhere; the host only launches epochs),
/// and time to quality: the best energy a whole search reaches within budgets of 1, 2 and 5 s.
/// </summary>
internal static class BackendThroughput
{
    private const int StepsPerEpoch = 5_000;

    public static void Run(string[] sizes, double seconds, int deviceChains, bool quality, TextWriter output)
    {
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; OpenCL device: {DeviceName(() => OpenClBackend.DeviceName)}; CUDA device: {DeviceName(() => Kernels.Cuda.CudaBackend.DeviceName)}");
        output.WriteLine("| size P/N/H/R | backend | chains | million evaluated moves/s | device MB |");
        output.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (string size in sizes)
        {
            var (p, n, h, r) = BenchProblems.ParseSize(size);
            var clock = Stopwatch.StartNew();
            var (_, problem) = BenchProblems.Create(p, n, h, r);
            output.WriteLine($"<!-- {size}: generated and flattened in {clock.Elapsed.TotalSeconds:0.0} s -->");
            problem.MaxMoves = int.MaxValue;
            problem.MaxBytes = double.PositiveInfinity;
            var options = new SearchOptions { TimeBudget = null, MaxStepsPerChain = 1, Seed = 1 };
            int[] movable = ParallelAnnealer.Movable(problem);
            double temperature = Temperature(problem, movable);
            int cores = Environment.ProcessorCount;
            using (var managed = new ManagedChainSet(problem, movable, options with { Threads = cores }, cores))
            {
                Report(output, size, "managed", managed, problem, temperature, seconds);
            }

            foreach (var (name, runtime) in DeviceRuntimes())
            {
                try
                {
                    var device = runtime();
                    var image = new Kernels.Device.DeviceProblemImage(problem, options, Kernels.Device.DeviceProblemImage.LargestNodeCount(problem.Nodes, problem.Initial));
                    int chains = deviceChains > 0 ? deviceChains
                        : device.IsGpu ? Kernels.Device.DeviceChainBudget.Chains(image, device.GlobalMemory, device.MaxAllocation, 0.7, Kernels.Device.DeviceBackend.MaxGpuChains)
                        : Math.Max(2, device.ComputeUnits);
                    using var set = new Kernels.Device.DeviceChainSet(device, problem, options, chains);
                    Report(output, size, name, set, problem, temperature, seconds);
                }
                catch (Kernels.Interop.NativeCallException e)
                {
                    output.WriteLine($"| {size} | {name} | - | unavailable: {e.Message} | - |");
                }
            }

            if (quality)
            {
                Quality(output, size, problem, deviceChains);
            }
        }
    }

    /// <summary>Device memory per problem and per chain at each size, and the chains an 80 GB GPU holds (docs/kernels.md).</summary>
    public static void Memory(string[] sizes, TextWriter output)
    {
        output.WriteLine("| size P/N/H/R | problem MB | member slots per node | MB per chain | chains on 80 GB (70 %) |");
        output.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (string size in sizes)
        {
            var (p, n, h, r) = BenchProblems.ParseSize(size);
            var (_, problem) = BenchProblems.Create(p, n, h, r);
            var image = new Kernels.Device.DeviceProblemImage(problem, new SearchOptions(), Kernels.Device.DeviceProblemImage.LargestNodeCount(problem.Nodes, problem.Initial));
            const long gpu = 80_000_000_000;
            int chains = Kernels.Device.DeviceChainBudget.Chains(image, gpu, gpu, 0.7, int.MaxValue);
            output.WriteLine($"| {size} | {image.ProblemBytes / 1e6:0} | {image.Slots} | {image.BytesPerChain / 1e6:0.0} | {chains} |");
        }
    }

    private static string DeviceName(Func<string> name)
    {
        try
        {
            return name();
        }
        catch (Kernels.Interop.NativeCallException e)
        {
            return "none (" + e.Message + ")";
        }
    }

    private static IEnumerable<(string Name, Func<Kernels.Device.IDeviceRuntime> Runtime)> DeviceRuntimes() =>
    [
        ("opencl", () => OpenClRuntime.Shared),
        ("cuda", () => Kernels.Cuda.CudaRuntime.Shared),
    ];

    private static double Temperature(FlatProblem problem, int[] movable)
    {
        var state = new SearchState(problem);
        state.Reset(problem.Initial);
        return TemperatureCalibrator.UphillScale(state, movable, 1) * 0.01;
    }

    private static void Report(TextWriter output, string size, string name, IChainSet chains, FlatProblem problem, double temperature, double seconds)
    {
        chains.Start(problem.Initial);
        long deviceBytes = chains is Kernels.Device.DeviceChainSet device ? device.DeviceBytes : 0;
        var temperatures = Enumerable.Repeat(temperature, chains.Count).ToArray();
        chains.RunEpoch(temperatures, StepsPerEpoch); // warm-up: JIT, kernel compile, caches
        var (before, _) = chains.Totals();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            chains.RunEpoch(temperatures, StepsPerEpoch);
        }

        var (after, _) = chains.Totals();
        double rate = (after - before) / clock.Elapsed.TotalSeconds;
        output.WriteLine($"| {size} | {name} | {chains.Count} | {rate / 1e6:0.0} | {(deviceBytes > 0 ? (deviceBytes / 1e6).ToString("0", System.Globalization.CultureInfo.InvariantCulture) : "-")} |");
    }

    private static void Quality(TextWriter output, string size, FlatProblem problem, int deviceChains)
    {
        output.WriteLine();
        output.WriteLine($"time to quality at {size}: best energy after each budget (one search per budget, seed 1)");
        output.WriteLine("| backend | 1 s | 2 s | 5 s |");
        output.WriteLine("| --- | --- | --- | --- |");
        foreach (var backend in new ISearchBackend[] { new ManagedBackend(), new OpenClBackend(), new Kernels.Cuda.CudaBackend() })
        {
            var cells = new List<string>();
            foreach (double budget in new[] { 1.0, 2.0, 5.0 })
            {
                var options = new SearchOptions { TimeBudget = TimeSpan.FromSeconds(budget), Seed = 1, Chains = backend is Kernels.Device.DeviceBackend ? deviceChains : 0 };
                try
                {
                    cells.Add(backend.Search(problem, problem.Initial, options).Cost.Energy.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (Kernels.Interop.NativeCallException e)
                {
                    cells.Add("unavailable: " + e.Message);
                }
            }

            output.WriteLine($"| {backend.Name} | {string.Join(" | ", cells)} |");
        }

        output.WriteLine();
    }
}
