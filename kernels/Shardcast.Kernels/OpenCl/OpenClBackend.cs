using Shardcast.Kernels.Device;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.OpenCl;

/// <summary>
/// The OpenCL backend: annealing chains advanced by the one kernel source on the first OpenCL device (a GPU, else
/// PoCL on the CPU), steered by the same host loop as the managed backend (repair, warm start, calibrated
/// temperature ladder, replica exchange, final polish). Batch evaluation scores K whole assignments at once.
/// </summary>
public sealed class OpenClBackend : ISearchBackend, IBatchEvaluator
{
    public const string BackendName = "opencl";

    /// <summary>Chains on a GPU at most; beyond, the host's per-epoch work grows and the ladder gets no finer.</summary>
    public const int MaxGpuChains = 16384;

    /// <summary>Share of device memory the chains may take.</summary>
    private const double MemoryShare = 0.7;

    public string Name => BackendName;

    /// <summary>Test hook: called at named points ("allocate", "epoch"); throwing there stands for a device failure.</summary>
    internal Action<string>? FaultInjection { get; init; }

    /// <summary>The device this backend runs on (compiling the kernel source on first use); throws <see cref="Devices.NativeCallException"/> where there is none.</summary>
    public static string DeviceName => OpenClRuntime.Shared.DeviceName;

    /// <summary>Whether the device is a GPU (its exponential and rounding may differ from the CPU's in the last bit).</summary>
    public static bool DeviceIsGpu => OpenClRuntime.Shared.IsGpu;

    public SearchResult Search(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Algorithm != SearchAlgorithm.Anneal)
        {
            throw new DeviceUnsupportedException($"the OpenCL backend anneals; {options.Algorithm} runs on the managed backend");
        }

        _ = new DeviceProblemImage(problem, options, DeviceProblemImage.LargestNodeCount(problem.Nodes, start));
        var runtime = OpenClRuntime.Shared;
        runtime.Gate.Wait(cancellationToken);
        try
        {
            int chains = ChainCount(runtime, problem, options, start);
            return ParallelAnnealer.Run(problem, start, options, Name, (_, count) => new OpenClChainSet(runtime, problem, options, count, FaultInjection), chains, cancellationToken);
        }
        finally
        {
            runtime.Gate.Release();
        }
    }

    /// <summary>Each candidate's cost by term, computed on the device in one launch per batch.</summary>
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

        var runtime = OpenClRuntime.Shared;
        runtime.Gate.Wait();
        try
        {
            using var set = new OpenClChainSet(runtime, problem, new SearchOptions(), candidates.Count, FaultInjection);
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
    private static int ChainCount(OpenClRuntime runtime, FlatProblem problem, SearchOptions options, ReadOnlySpan<int> start)
    {
        if (options.Chains > 0)
        {
            return options.Chains;
        }

        if (!runtime.IsGpu)
        {
            return Math.Max(2, runtime.ComputeUnits);
        }

        var image = new DeviceProblemImage(problem, options, DeviceProblemImage.LargestNodeCount(problem.Nodes, start));
        return DeviceChainBudget.Chains(image, runtime.GlobalMemory, runtime.MaxAllocation, MemoryShare, MaxGpuChains);
    }
}
