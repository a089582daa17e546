using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels.Device;

/// <summary>
/// The extended model's arrays on the device and the kernel that scores them for every candidate of a chain set
/// (Source/shardcast.cl, shardcast_extended_terms): uploaded on first use, sized for the set's candidates.
/// </summary>
internal sealed class ExtendedKernel : IDisposable
{
    public const int Safety = 0;
    public const int Balance = 1;
    public const int PartitionMove = 2;
    public const int GroupMove = 3;
    public const int NodeMove = 4;
    public const int Transient = 5;
    public const int Violations = 6;
    public const int TermCount = 8;

    private readonly IDeviceRuntime _runtime;
    private readonly DeviceKernel _kernel;
    private readonly DeviceBuffer _terms;

    /// <param name="owned">Where the buffers are registered for release with the chain set's others.</param>
    public ExtendedKernel(IDeviceRuntime runtime, FlatProblem problem, int candidates, DeviceBuffer[] problemBuffers, DeviceBuffer assignments, List<DeviceBuffer> owned)
    {
        _runtime = runtime;
        var x = problem.Extensions!;
        int groupRows = Math.Max(1, problem.Groups);
        int[] xdims =
        [
            x.Width, x.Resources, x.Steps, x.BalanceA.Length, x.HardCapacity ? 1 : 0, x.Neighborhoods,
            x.NodeMoveCost is null ? 0 : 1, x.HasTransient ? 1 : 0, x.HasDependencies ? 1 : 0,
        ];
        double[] xparams = [x.PartitionMoveWeight, x.NodeMoveWeight, x.GroupMoveWeight];
        DeviceBuffer Upload<T>(T[] data, string name)
            where T : unmanaged
        {
            var buffer = runtime.Allocate((long)data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), readOnly: true, name);
            owned.Add(buffer);
            runtime.Write<T>(buffer, data);
            return buffer;
        }

        DeviceBuffer Scratch(long bytes, string name)
        {
            var buffer = runtime.Allocate(bytes, readOnly: false, name);
            owned.Add(buffer);
            return buffer;
        }

        long k = candidates;
        _terms = Scratch(k * TermCount * 8, "extended_terms");
        DeviceBuffer[] arguments =
        [
            problemBuffers[0], assignments, problemBuffers[10], problemBuffers[16],
            Upload(xdims, "xdims"), Upload(xparams, "xparams"), Upload(x.Load, "xload"), Upload(x.Capacity, "xcapacity"),
            Upload(x.Safety, "xsafety"), Upload(x.SafetyWeight, "xsafety_weight"), Upload(x.Transient.Select(t => t ? 1 : 0).ToArray(), "xtransient"),
            Upload(x.RelativeScale, "xscale"), Upload(x.BalanceA, "balance_a"), Upload(x.BalanceB, "balance_b"),
            Upload(x.BalanceTarget, "balance_target"), Upload(x.BalanceWeight, "balance_weight"), Upload(x.MoveCost, "move_cost"),
            Upload(x.NodeMoveCost ?? [0.0], "node_move_cost"), Upload(x.NodeNeighborhood, "node_neighborhood"),
            Upload(x.DependsStart, "depends_start"), Upload(x.DependsOn, "depends_on"),
            Scratch(k * problem.Nodes * x.Width * 8, "x_node_load"), Scratch(k * problem.Nodes * x.Width * 8, "x_departed"),
            Scratch(k * groupRows * 4, "moved_in_group"), Scratch(k * groupRows * x.Neighborhoods * 4, "in_neighborhood"),
            _terms,
        ];
        _kernel = runtime.Bind(KernelSource.ExtendedTermsKernel, arguments, scalars: 0);
    }

    /// <summary>Scores the candidates now in the assignment buffer: <see cref="TermCount"/> doubles each.</summary>
    public double[] Run(int candidates)
    {
        _runtime.Launch(_kernel, candidates, []);
        var terms = new double[candidates * TermCount];
        _runtime.Read<double>(_terms, terms);
        return terms;
    }

    public void Dispose() => _kernel.Dispose();
}
