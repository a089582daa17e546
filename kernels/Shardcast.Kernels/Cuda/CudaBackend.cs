using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;

namespace Shardcast.Kernels.Cuda;

/// <summary>The device backend on the first CUDA GPU: the one kernel source compiled by NVRTC, run through the driver API.</summary>
public sealed class CudaBackend : DeviceBackend
{
    public const string BackendName = "cuda";

    public override string Name => BackendName;

    /// <summary>The device (compiling the kernel source on first use); throws <see cref="Devices.NativeCallException"/> where there is none.</summary>
    public static string DeviceName => CudaRuntime.Shared.DeviceName;

    /// <summary>The NVRTC library and options, or the PTX cache file, the module came from.</summary>
    public static string CompiledWith => CudaRuntime.Shared.CompiledWith;

    private protected override IDeviceRuntime Runtime => CudaRuntime.Shared;
}
