using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;

namespace Shardcast.Kernels.OpenCl;

/// <summary>The device backend on the first OpenCL device: a GPU, else PoCL on the CPU.</summary>
public sealed class OpenClBackend : DeviceBackend
{
    public const string BackendName = "opencl";

    public override string Name => BackendName;

    /// <summary>The device this backend runs on (compiling the kernel source on first use); throws <see cref="Devices.NativeCallException"/> where there is none.</summary>
    public static string DeviceName => OpenClRuntime.Shared.DeviceName;

    /// <summary>Whether the device is a GPU (its exponential and rounding may differ from the CPU's in the last bit).</summary>
    public static bool DeviceIsGpu => OpenClRuntime.Shared.IsGpu;

    private protected override IDeviceRuntime Runtime => OpenClRuntime.Shared;
}
