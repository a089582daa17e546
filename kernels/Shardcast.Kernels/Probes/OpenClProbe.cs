using System.Reflection;
using System.Runtime.InteropServices;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.OpenCl;

namespace Shardcast.Kernels.Probes;

/// <summary>
/// Reports OpenCL platforms and devices found through libOpenCL.so.1 (the ICD loader; on a machine without a GPU, PoCL
/// provides a CPU device), from the process's one <see cref="OpenClInventory"/>. It creates no OpenCL object.
/// </summary>
public static class OpenClProbe
{
    public static BackendReport Probe()
    {
        string[] tried = [NativeLibraries.OpenCl];
        try
        {
            var inventory = OpenClInventory.Shared;
            var devices = inventory.Devices
                .Select(d => new DeviceReport(d.Name, d.Kind, d.Platform.Vendor, $"{d.Version} on {d.Platform.Name} {d.Platform.Version}", d.ComputeUnits, d.GlobalMemory, d.MaxWorkGroupSize))
                .OrderBy(d => d.Kind == "gpu" ? 0 : 1)
                .ToArray();
            return devices.Length == 0
                ? new BackendReport("opencl", false, [], $"{inventory.Platforms.Count} OpenCL platform(s), no device", tried, null)
                : new BackendReport("opencl", true, devices, null, tried,
                    "anneals on the first device listed (the kernel source is compiled for it on first use); auto picks OpenCL only for a GPU");
        }
        catch (NativeCallException e)
        {
            return new BackendReport("opencl", false, [], e.Message, tried, null);
        }
    }
}
