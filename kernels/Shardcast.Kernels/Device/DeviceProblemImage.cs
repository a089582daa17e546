using System.Runtime.Intrinsics;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Device;

/// <summary>
/// The flat problem as the kernels read it: the scalars packed into dims[] and params[], the derived arrays the
/// managed search keeps in its proposer (movable partitions, the source of each coupling edge), and the sizes
/// of one chain's state. Shared by every device backend; it copies nothing the flat problem already holds.
/// </summary>
internal sealed class DeviceProblemImage
{
    /// <summary>Member slots per node when every chain may hold every partition on one node without passing this many bytes.</summary>
    private const long FullSlotsBytesPerChain = 16L << 20;

    /// <param name="largestNodeCount">The most partitions any assignment the chains will start from puts on one node.</param>
    public DeviceProblemImage(FlatProblem problem, SearchOptions options, int largestNodeCount)
    {
        Problem = problem;
        Movable = ParallelAnnealer.Movable(problem);
        EdgeSource = new int[problem.CouplingTarget.Length];
        for (int p = 0; p < problem.Partitions; p++)
        {
            for (int e = problem.CouplingStart[p]; e < problem.CouplingStart[p + 1]; e++)
            {
                EdgeSource[e] = p;
            }
        }

        Pinned = new int[problem.Partitions];
        for (int p = 0; p < problem.Partitions; p++)
        {
            Pinned[p] = problem.Pinned[p] ? 1 : 0;
        }

        Slots = ChooseSlots(problem, largestNodeCount);
        var w = problem.Weights;
        Params = new double[KernelLayout.ParamCount];
        Params[KernelLayout.MaxBytes] = problem.MaxBytes;
        Params[KernelLayout.WeightBalance] = w.Balance;
        Params[KernelLayout.WeightHeadroom] = w.Headroom;
        Params[KernelLayout.WeightMove] = w.Move;
        Params[KernelLayout.WeightAffinity] = w.Affinity;
        Params[KernelLayout.WeightLineage] = w.Lineage;
        // With hard capacity an overloaded lane is a violation judged exactly by the extension, not a float penalty.
        Params[KernelLayout.Penalty] = problem.Extensions is { HardCapacity: true } ? 0 : CostWeights.OverloadPenalty;
        Params[KernelLayout.OverloadPenalty] = CostWeights.OverloadPenalty;
        Params[KernelLayout.ViolationPenalty] = CostWeights.ViolationPenalty;
        SwapThreshold = (int)(uint)(options.SwapShare * 65536);
        BiasThreshold = (int)(uint)(options.BiasShare * 65536);
    }

    public FlatProblem Problem { get; }

    public int[] Movable { get; }

    public int[] EdgeSource { get; }

    public int[] Pinned { get; }

    public double[] Params { get; }

    /// <summary>Member slots per node in each chain; a move onto a node whose slots are full is not proposed.</summary>
    public int Slots { get; }

    public int SwapThreshold { get; }

    public int BiasThreshold { get; }

    /// <summary>Groups and zone tables are sized for at least one group so no buffer is empty.</summary>
    public int GroupRows => Math.Max(1, Problem.Groups);

    public int[] Dims(int chains)
    {
        var p = Problem;
        var dims = new int[KernelLayout.DimCount];
        dims[KernelLayout.Partitions] = p.Partitions;
        dims[KernelLayout.Nodes] = p.Nodes;
        dims[KernelLayout.Stride] = p.Stride;
        dims[KernelLayout.Zones] = p.Zones;
        dims[KernelLayout.NodeWords] = p.NodeWords;
        dims[KernelLayout.Groups] = p.Groups;
        dims[KernelLayout.Affinity] = p.AffinityA.Length;
        dims[KernelLayout.Movable] = Movable.Length;
        dims[KernelLayout.Edges] = EdgeSource.Length;
        dims[KernelLayout.MaxMoves] = p.MaxMoves;
        dims[KernelLayout.Slots] = Slots;

        // The managed node delta sums a row in 16-lane blocks where 512-bit vectors are accelerated; the kernel
        // groups its float sums the same way so both take the same decisions (where even 256-bit vectors are off, the
        // managed sums run lane by lane and the two agree only within rounding).
        dims[KernelLayout.Wide] = Vector512.IsHardwareAccelerated ? 16 : 8;
        dims[KernelLayout.SwapThreshold] = SwapThreshold;
        dims[KernelLayout.BiasThreshold] = BiasThreshold;
        dims[KernelLayout.Chains] = chains;
        return dims;
    }

    /// <summary>Bytes of device memory the problem itself takes (shared by all chains).</summary>
    public long ProblemBytes
    {
        get
        {
            var p = Problem;
            long rows = (long)(p.Partitions + (4L * p.Nodes)) * p.Stride * sizeof(float);
            long perPartition = (long)p.Partitions * (sizeof(float) * 2 + sizeof(double) + sizeof(int) * 6);
            long graph = (p.CouplingTarget.Length * 12L) + (p.AffinityA.Length * 12L) + (p.GroupMembers.Length * 4L) + p.DomainMasks.Length * 8L;
            return rows + perPartition + graph + (p.Zones * (long)p.Zones * 4);
        }
    }

    /// <summary>Bytes of device memory one chain's state takes: what the chain count is chosen from (docs/kernels.md).</summary>
    public long BytesPerChain
    {
        get
        {
            var p = Problem;
            long ints = (4L * p.Partitions) + (2L * p.Nodes) + ((long)p.Nodes * Slots) + ((long)GroupRows * p.Zones) + GroupRows + KernelLayout.ChainInts;
            long floats = ((long)p.Nodes * p.Stride) + p.Nodes + 1;
            long doubles = KernelLayout.ChainDoubles + KernelLayout.TermCount;
            long longs = KernelLayout.ChainLongs + 2;
            return (ints * 4) + (floats * 4) + (doubles * 8) + (longs * 8) + ExtensionBuffers.BytesPerChain(p);
        }
    }

    /// <summary>
    /// Every partition fits on any node when that costs at most 16 MB a chain, so no proposal is ever refused for
    /// slots and the device follows the managed chain exactly; beyond, four times the mean count plus the start's
    /// largest, which a balanced plan never approaches.
    /// </summary>
    private static int ChooseSlots(FlatProblem problem, int largest)
    {
        if ((long)problem.Nodes * problem.Partitions * sizeof(int) <= FullSlotsBytesPerChain)
        {
            return problem.Partitions;
        }

        int mean = (problem.Partitions + problem.Nodes - 1) / problem.Nodes;
        return (int)Math.Min(problem.Partitions, Math.Max((4L * mean) + 64, (long)largest + (2L * mean)));
    }

    /// <summary>The most partitions an assignment puts on one node.</summary>
    public static int LargestNodeCount(int nodes, ReadOnlySpan<int> assignment)
    {
        var counts = new int[nodes];
        int largest = 0;
        foreach (int n in assignment)
        {
            largest = Math.Max(largest, ++counts[n]);
        }

        return largest;
    }
}

/// <summary>A problem or request a device backend cannot run; the caller falls back to the managed backend and says why.</summary>
public sealed class DeviceUnsupportedException(string message) : Exception(message);
