using System.Reflection;
using System.Runtime.InteropServices;
using Shardcast.Kernels.OpenCl;

namespace Shardcast.Kernels.Devices;

/// <summary>
/// Finds OpenCL platforms and devices through libOpenCL.so.1 (the ICD loader; on a machine without a GPU, PoCL
/// provides a CPU device). Enumeration only: it creates no OpenCL object, so there is nothing to release.
/// </summary>
public static class OpenClProbe
{
    public static BackendReport Probe()
    {
        string[] tried = [NativeLibraries.OpenCl];
        try
        {
            uint platformCount = 0;

            // Through the ICD loader, clGetPlatformIDs says CL_PLATFORM_NOT_FOUND_KHR when no platform is installed.
            int status = OpenClNative.GetPlatformIds(0, null, ref platformCount);
            if (status == OpenClNative.PlatformNotFound || (status == 0 && platformCount == 0))
            {
                return new BackendReport("opencl", false, [], "no OpenCL platform is installed (on a machine without a GPU, install PoCL: Debian pocl-opencl-icd)", tried, null);
            }

            OpenClNative.Check(status, "clGetPlatformIDs");
            var platforms = new nint[platformCount];
            OpenClNative.Check(OpenClNative.GetPlatformIds(platformCount, platforms, ref platformCount), "clGetPlatformIDs");
            var devices = new List<DeviceReport>();
            foreach (nint platform in platforms)
            {
                string vendor = OpenClNative.PlatformInfoString(platform, OpenClNative.PlatformVendor);
                uint deviceCount = 0;
                status = OpenClNative.GetDeviceIds(platform, OpenClNative.DeviceTypeAll, 0, null, ref deviceCount);
                if (status == OpenClNative.DeviceNotFound || deviceCount == 0)
                {
                    continue;
                }

                OpenClNative.Check(status, "clGetDeviceIDs");
                var ids = new nint[deviceCount];
                OpenClNative.Check(OpenClNative.GetDeviceIds(platform, OpenClNative.DeviceTypeAll, deviceCount, ids, ref deviceCount), "clGetDeviceIDs");
                foreach (nint device in ids)
                {
                    ulong type = OpenClNative.DeviceInfo<ulong>(device, OpenClNative.DeviceType);
                    devices.Add(new DeviceReport(
                        OpenClNative.DeviceInfoString(device, OpenClNative.DeviceName), (type & 4) != 0 ? "gpu" : (type & 2) != 0 ? "cpu" : (type & 8) != 0 ? "accelerator" : "other", vendor,
                        OpenClNative.DeviceInfoString(device, OpenClNative.DeviceVersion) + " on " + OpenClNative.PlatformInfoString(platform, OpenClNative.PlatformName) + " "
                            + OpenClNative.PlatformInfoString(platform, OpenClNative.PlatformVersion),
                        (int)OpenClNative.DeviceInfo<uint>(device, OpenClNative.DeviceMaxComputeUnits), (long)OpenClNative.DeviceInfo<ulong>(device, OpenClNative.DeviceGlobalMemSize),
                        (long)OpenClNative.DeviceInfo<nuint>(device, OpenClNative.DeviceMaxWorkGroupSize)));
                }
            }

            return devices.Count == 0
                ? new BackendReport("opencl", false, [], $"{platformCount} OpenCL platform(s), no device", tried, null)
                : new BackendReport("opencl", true, [.. devices.OrderBy(d => d.Kind == "gpu" ? 0 : 1)], null, tried,
                    "anneals on the first device listed (the kernel source is compiled for it on first use); auto picks OpenCL only for a GPU");
        }
        catch (DllNotFoundException)
        {
            return new BackendReport("opencl", false, [], $"{NativeLibraries.OpenCl} not found (install an OpenCL ICD loader and a platform: Debian ocl-icd-libopencl1 and pocl-opencl-icd)", tried, null);
        }
        catch (NativeCallException e)
        {
            return new BackendReport("opencl", false, [], e.Message, tried, null);
        }
    }
}

/// <summary>A native call that failed; the message names the call and its status.</summary>
public sealed class NativeCallException(string message) : Exception(message);

/// <summary>Where the native libraries are looked for: the names the import attributes use, mapped to the sonames.</summary>
internal static class NativeLibraries
{
    public const string OpenCl = "libOpenCL.so.1";
    public const string Cuda = "libcuda.so.1";
    private static int _registered;

    /// <summary>
    /// The CUDA driver by its soname, then where drivers sit when the loader's path does not say (containers mount
    /// theirs under /usr/local/nvidia; WSL under /usr/lib/wsl).
    /// </summary>
    public static IReadOnlyList<string> CudaCandidates { get; } =
        [Cuda, "/usr/local/nvidia/lib64/libcuda.so.1", "/usr/local/nvidia/lib/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1"];

    /// <summary>The driver library that loaded, once one has.</summary>
    public static string? LoadedCuda { get; private set; }

    public static void Register(Assembly assembly)
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => name switch
        {
            "OpenCL" => NativeLibrary.TryLoad(OpenCl, out nint openCl) ? openCl : throw new DllNotFoundException(OpenCl),
            "cuda" => LoadCuda(),
            _ => nint.Zero,
        });
    }

    private static nint LoadCuda()
    {
        foreach (string candidate in CudaCandidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint cuda))
            {
                LoadedCuda = candidate;
                return cuda;
            }
        }

        throw new DllNotFoundException($"{Cuda} (tried {string.Join(", ", CudaCandidates)})");
    }
}
