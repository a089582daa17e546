using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.OpenCl;

/// <summary>One OpenCL platform as its clGetPlatformInfo strings describe it.</summary>
internal sealed record OpenClPlatform(nint Id, string Vendor, string Name, string Version);

/// <summary>One OpenCL device with the properties the probe reports and the runtime sizes its buffers by.</summary>
internal sealed record OpenClDevice(nint Id, OpenClPlatform Platform, ulong Type, string Name, string Version, int ComputeUnits, long GlobalMemory, long MaxAllocation, long MaxWorkGroupSize)
{
    public bool IsGpu => (Type & 4) != 0;

    public string Kind => IsGpu ? "gpu" : (Type & 2) != 0 ? "cpu" : (Type & 8) != 0 ? "accelerator" : "other";
}

/// <summary>
/// This process's OpenCL platforms and devices, enumerated once, by one thread, and then only read.
/// </summary>
/// <remarks>
/// The enumeration must not run on two threads at once: Debian's ICD loader with PoCL 3.1 initialises its devices
/// inside the first clGetDeviceIDs, and two threads doing that together crash the process (a null pointer read in
/// libc; a four-thread C program that only lists platforms and devices dies in 20 % of its runs, in 0 % once one
/// thread has listed them first). `serve` probes devices in the background while its first requests may resolve a
/// backend, and the tests probe from parallel collections, so every reader goes through here.
/// </remarks>
internal sealed class OpenClInventory
{
    private static readonly SharedRuntime<OpenClInventory> Instance = new(Enumerate, e => e switch
    {
        DllNotFoundException => $"{NativeLibraries.OpenCl} not found (install an OpenCL ICD loader and a platform: Debian ocl-icd-libopencl1 and pocl-opencl-icd)",
        NativeCallException or EntryPointNotFoundException => e.Message,
        _ => null,
    });

    private OpenClInventory(IReadOnlyList<OpenClPlatform> platforms, IReadOnlyList<OpenClDevice> devices)
    {
        Platforms = platforms;
        Devices = devices;
    }

    public IReadOnlyList<OpenClPlatform> Platforms { get; }

    /// <summary>Every device of every platform, in the order the platforms list them.</summary>
    public IReadOnlyList<OpenClDevice> Devices { get; }

    /// <summary>The inventory; a failure (no library, no platform) is remembered and thrown again as a <see cref="NativeCallException"/>.</summary>
    public static OpenClInventory Shared => Instance.Value;

    private static unsafe OpenClInventory Enumerate()
    {
        uint platformCount = 0;

        // Through the ICD loader, clGetPlatformIDs says CL_PLATFORM_NOT_FOUND_KHR when no platform is installed.
        int status = OpenClNative.GetPlatformIds(0, null, ref platformCount);
        if (status == OpenClNative.PlatformNotFound || (status == 0 && platformCount == 0))
        {
            throw new NativeCallException("no OpenCL platform is installed (on a machine without a GPU, install PoCL: Debian pocl-opencl-icd)");
        }

        OpenClNative.Check(status, "clGetPlatformIDs");
        var ids = new nint[platformCount];
        OpenClNative.Check(OpenClNative.GetPlatformIds(platformCount, ids, ref platformCount), "clGetPlatformIDs");
        var platforms = new List<OpenClPlatform>();
        var devices = new List<OpenClDevice>();
        foreach (nint id in ids.AsSpan(0, (int)platformCount))
        {
            var platform = new OpenClPlatform(id, OpenClNative.PlatformInfoString(id, OpenClNative.PlatformVendor),
                OpenClNative.PlatformInfoString(id, OpenClNative.PlatformName), OpenClNative.PlatformInfoString(id, OpenClNative.PlatformVersion));
            platforms.Add(platform);
            uint deviceCount = 0;

            // A platform that cannot list its devices (CL_DEVICE_NOT_FOUND, or a broken driver beside a working one)
            // leaves the others usable.
            if (OpenClNative.GetDeviceIds(id, OpenClNative.DeviceTypeAll, 0, null, ref deviceCount) != 0 || deviceCount == 0)
            {
                continue;
            }

            var deviceIds = new nint[deviceCount];
            OpenClNative.Check(OpenClNative.GetDeviceIds(id, OpenClNative.DeviceTypeAll, deviceCount, deviceIds, ref deviceCount), "clGetDeviceIDs");
            foreach (nint device in deviceIds.AsSpan(0, (int)deviceCount))
            {
                devices.Add(new OpenClDevice(device, platform, OpenClNative.DeviceInfo<ulong>(device, OpenClNative.DeviceType),
                    OpenClNative.DeviceInfoString(device, OpenClNative.DeviceName), OpenClNative.DeviceInfoString(device, OpenClNative.DeviceVersion),
                    (int)OpenClNative.DeviceInfo<uint>(device, OpenClNative.DeviceMaxComputeUnits), (long)OpenClNative.DeviceInfo<ulong>(device, OpenClNative.DeviceGlobalMemSize),
                    (long)OpenClNative.DeviceInfo<ulong>(device, OpenClNative.DeviceMaxMemAllocSize), (long)OpenClNative.DeviceInfo<nuint>(device, OpenClNative.DeviceMaxWorkGroupSize)));
            }
        }

        return new OpenClInventory(platforms, devices);
    }
}
