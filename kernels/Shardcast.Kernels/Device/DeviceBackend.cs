using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Device;

/// <summary>
/// A search backend on a compute device: annealing chains advanced by the one kernel source, steered by the same
/// host loop as the managed backend (repair, warm start, calibrated temperature ladder, replica exchange by
/// permuting temperatures, final polish); the genetic algorithm with its population on the device; batch
/// evaluation of K whole assignments in one launch. Every term of the engine's cost, the extended model's included.
/// </summary>
public abstract class DeviceBackend : ISearchBackend, IBatchEvaluator
{
    /// <summary>Chains on a GPU at most; beyond, the host's per-epoch work grows and the ladder gets no finer.</summary>
    public const int MaxGpuChains = 16384;

    /// <summary>Individuals on a GPU at most: each generation improves every child for a full epoch.</summary>
    public const int MaxGpuPopulation = 1024;

    /// <summary>Share of device memory the chains may take.</summary>
    private const double MemoryShare = 0.7;

    public abstract string Name { get; }

    /// <summary>Test hook: called at named points ("allocate", "epoch"); throwing there stands for a device failure.</summary>
    internal Action<string>? FaultInjection { get; init; }

    /// <summary>The device, compiling the kernel source on first use; throws <see cref="Devices.NativeCallException"/> where there is none.</summary>
    private protected abstract IDeviceRuntime Runtime { get; }

    public SearchResult Search(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Algorithm == SearchAlgorithm.Greedy)
        {
            throw new DeviceUnsupportedException($"the greedy baseline is sequential by nature and runs on the managed backend, not {Name}");
        }

        var image = new DeviceProblemImage(problem, options, DeviceProblemImage.LargestNodeCount(problem.Nodes, start));
        var runtime = Runtime;
        runtime.Gate.Wait(cancellationToken);
        try
        {
            return options.Algorithm switch
            {
                SearchAlgorithm.Anneal => Anneal(problem, start, options, runtime, image, cancellationToken),
                SearchAlgorithm.Genetic => Genetic(problem, start, options, runtime, image, cancellationToken),
                _ => SearchPhases.GeneticThenAnneal(
                    problem, start, options,
                    (o, s) => Genetic(problem, s, o, runtime, image, cancellationToken),
                    (o, s) => Anneal(problem, s, o, runtime, image, cancellationToken)),
            };
        }
        finally
        {
            runtime.Gate.Release();
        }
    }

    private SearchResult Anneal(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, IDeviceRuntime runtime, DeviceProblemImage image, CancellationToken cancellationToken) =>
        ParallelAnnealer.Run(problem, start, options, Name, (_, count) => new DeviceChainSet(runtime, problem, options, count, FaultInjection), ChainCount(runtime, image, options), cancellationToken);

    /// <summary>The population: the requested size, and on a GPU as many individuals as memory holds up to <see cref="MaxGpuPopulation"/>.</summary>
    private SearchResult Genetic(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, IDeviceRuntime runtime, DeviceProblemImage image, CancellationToken cancellationToken)
    {
        int size = runtime.IsGpu
            ? Math.Max(options.Population, DeviceChainBudget.Chains(image, runtime.GlobalMemory, runtime.MaxAllocation, MemoryShare / 2, MaxGpuPopulation))
            : options.Population;
        using var population = new DeviceChainSet(runtime, problem, options, size, FaultInjection);
        return DeviceGeneticSearch.Run(problem, start, options, Name, population, cancellationToken);
    }

    /// <summary>Each candidate's cost by term (the extended model's terms included), computed on the device in one launch per batch.</summary>
    public CostBreakdown[] EvaluateBatch(FlatProblem problem, IReadOnlyList<int[]> candidates)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(candidates);
        foreach (int[] candidate in candidates)
        {
            BatchEvaluation.CheckCandidate(problem, candidate);
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        var runtime = Runtime;
        runtime.Gate.Wait();
        try
        {
            using var set = new DeviceChainSet(runtime, problem, new SearchOptions(), candidates.Count, FaultInjection);
            return set.Evaluate(candidates);
        }
        finally
        {
            runtime.Gate.Release();
        }
    }

    /// <summary>
    /// The requested count, else: on a CPU device one chain per compute unit (at least two), as the managed backend
    /// runs one per core; on a GPU as many as 70 % of its memory holds, up to <see cref="MaxGpuChains"/>.
    /// </summary>
    private static int ChainCount(IDeviceRuntime runtime, DeviceProblemImage image, SearchOptions options)
    {
        if (options.Chains > 0)
        {
            return options.Chains;
        }

        return runtime.IsGpu
            ? DeviceChainBudget.Chains(image, runtime.GlobalMemory, runtime.MaxAllocation, MemoryShare, MaxGpuChains)
            : Math.Max(2, runtime.ComputeUnits);
    }
}
