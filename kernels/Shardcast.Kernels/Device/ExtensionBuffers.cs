using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels.Device;

/// <summary>
/// The extended model on the device (Source/shardcast.cl, EXT_ARGS): the problem's arrays in the cluster's units and
/// each chain's state of <c>ExtensionState</c> (node loads and departed transient loads in double, moved members per
/// group and their histogram, members per group and neighbourhood, each node's cached energy and violations). A
/// problem without the extended model gets eight-byte placeholders and a flag that switches the code off.
/// </summary>
internal static class ExtensionBuffers
{
    public const int Count = 27;

    public static DeviceBuffer[] Create(IDeviceRuntime runtime, FlatProblem problem, long chains, Func<DeviceBuffer, DeviceBuffer> own)
    {
        DeviceBuffer Upload<T>(T[] data, string name)
            where T : unmanaged
        {
            var buffer = own(runtime.Allocate((long)data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), readOnly: true, name));
            runtime.Write<T>(buffer, data);
            return buffer;
        }

        DeviceBuffer State(long bytes, string name) => own(runtime.Allocate(bytes, readOnly: false, name));

        if (problem.Extensions is not { } x)
        {
            var buffers = new DeviceBuffer[Count];
            buffers[0] = Upload(new int[11], "xdims");
            for (int i = 1; i < Count; i++)
            {
                buffers[i] = State(8, "extension placeholder");
            }

            return buffers;
        }

        int groupRows = Math.Max(1, problem.Groups);
        int histogram = problem.LargestGroup() + 2;
        int[] xdims =
        [
            1, x.Width, x.Resources, x.Steps, x.BalanceA.Length, x.HardCapacity ? 1 : 0, x.Neighborhoods,
            x.NodeMoveCost is null ? 0 : 1, x.HasTransient ? 1 : 0, x.HasDependencies ? 1 : 0, histogram,
        ];
        long rows = chains * problem.Nodes * x.Width * sizeof(double);
        return
        [
            Upload(xdims, "xdims"), Upload<double>([x.PartitionMoveWeight, x.NodeMoveWeight, x.GroupMoveWeight], "xparams"),
            Upload(x.Load, "xload"), Upload(x.Capacity, "xcapacity"), Upload(x.Safety, "xsafety"), Upload(x.SafetyWeight, "xsafety_weight"),
            Upload(x.Transient.Select(t => t ? 1 : 0).ToArray(), "xtransient"), Upload(x.RelativeScale, "xscale"),
            Upload(x.BalanceA, "xbalance_a"), Upload(x.BalanceB, "xbalance_b"), Upload(x.BalanceTarget, "xbalance_target"),
            Upload(x.BalanceWeight, "xbalance_weight"), Upload(x.MoveCost, "xmove_cost"), Upload(x.NodeMoveCost ?? [0.0], "xnode_move_cost"),
            Upload(x.NodeNeighborhood, "xnode_neighborhood"), Upload(x.DependsStart, "xdepends_start"), Upload(x.DependsOn, "xdepends_on"),
            Upload(x.DependentStart, "xdependent_start"), Upload(x.Dependents, "xdependents"),
            State(rows, "xload_all"), State(rows, "xdeparted_all"), State(chains * 2 * x.Width * sizeof(double), "xafter_all"),
            State(chains * groupRows * sizeof(int), "xmoved_in_group_all"), State(chains * histogram * sizeof(int), "xhistogram_all"),
            State(chains * groupRows * x.Neighborhoods * sizeof(int), "xin_neighborhood_all"),
            State(chains * problem.Nodes * sizeof(double), "xnode_energy_all"), State(chains * problem.Nodes * sizeof(int), "xnode_violations_all"),
        ];
    }

    /// <summary>Device bytes one chain's extension state takes (0 without the extended model).</summary>
    public static long BytesPerChain(FlatProblem problem) => problem.Extensions is not { } x ? 0
        : ((2L * problem.Nodes * x.Width) + (2L * x.Width) + problem.Nodes) * sizeof(double)
          + ((Math.Max(1, problem.Groups) * (1L + x.Neighborhoods)) + problem.LargestGroup() + 2 + problem.Nodes) * sizeof(int);
}
