using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Shardcast.Kernels.Devices;

/// <summary>
/// Finds OpenCL platforms and devices through libOpenCL.so.1 (the ICD loader; on a machine without a GPU, PoCL
/// provides a CPU device). Enumeration only: it creates no OpenCL object, so there is nothing to release.
/// </summary>
public static partial class OpenClProbe
{
    private const string Library = "OpenCL";
    private const int Success = 0;
    private const int DeviceNotFound = -1;
    private const ulong DeviceTypeAll = 0xFFFFFFFF;
    private const uint PlatformName = 0x0902;
    private const uint PlatformVendor = 0x0903;
    private const uint PlatformVersion = 0x0901;
    private const uint DeviceType = 0x1000;
    private const uint DeviceMaxComputeUnits = 0x1002;
    private const uint DeviceMaxWorkGroupSize = 0x1004;
    private const uint DeviceGlobalMemSize = 0x101F;
    private const uint DeviceName = 0x102B;
    private const uint DeviceVersion = 0x102F;

    static OpenClProbe() => NativeLibraries.Register(typeof(OpenClProbe).Assembly);

    public static BackendReport Probe()
    {
        string[] tried = [NativeLibraries.OpenCl];
        try
        {
            uint platformCount = 0;
            Check(GetPlatformIds(0, null, ref platformCount), "clGetPlatformIDs", allowNotFound: true);
            if (platformCount == 0)
            {
                return new BackendReport("opencl", false, [], "no OpenCL platform is installed (on a machine without a GPU, install PoCL: Debian pocl-opencl-icd)", tried, null);
            }

            var platforms = new nint[platformCount];
            Check(GetPlatformIds(platformCount, platforms, ref platformCount), "clGetPlatformIDs", allowNotFound: false);
            var devices = new List<DeviceReport>();
            foreach (nint platform in platforms)
            {
                string vendor = PlatformString(platform, PlatformVendor);
                uint deviceCount = 0;
                int status = GetDeviceIds(platform, DeviceTypeAll, 0, null, ref deviceCount);
                if (status == DeviceNotFound || deviceCount == 0)
                {
                    continue;
                }

                Check(status, "clGetDeviceIDs", allowNotFound: false);
                var ids = new nint[deviceCount];
                Check(GetDeviceIds(platform, DeviceTypeAll, deviceCount, ids, ref deviceCount), "clGetDeviceIDs", allowNotFound: false);
                foreach (nint device in ids)
                {
                    ulong type = DeviceUInt64(device, DeviceType);
                    devices.Add(new DeviceReport(
                        DeviceString(device, DeviceName), (type & 4) != 0 ? "gpu" : (type & 2) != 0 ? "cpu" : (type & 8) != 0 ? "accelerator" : "other", vendor,
                        DeviceString(device, DeviceVersion) + " on " + PlatformString(platform, PlatformName) + " " + PlatformString(platform, PlatformVersion),
                        (int)DeviceUInt32(device, DeviceMaxComputeUnits), (long)DeviceUInt64(device, DeviceGlobalMemSize), (long)DeviceNUInt(device, DeviceMaxWorkGroupSize)));
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

    private static void Check(int status, string call, bool allowNotFound)
    {
        // clGetPlatformIDs says -1001 (CL_PLATFORM_NOT_FOUND_KHR) through the ICD loader when no platform is installed.
        if (status != Success && !(allowNotFound && status == -1001))
        {
            throw new NativeCallException($"{call} failed with OpenCL status {status}");
        }
    }

    private static unsafe string PlatformString(nint platform, uint parameter)
    {
        nuint size = 0;
        Check(GetPlatformInfo(platform, parameter, 0, null, &size), "clGetPlatformInfo", allowNotFound: false);
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer)
        {
            Check(GetPlatformInfo(platform, parameter, size, p, null), "clGetPlatformInfo", allowNotFound: false);
        }

        return Encoding.UTF8.GetString(buffer).TrimEnd('\0').Trim();
    }

    private static unsafe string DeviceString(nint device, uint parameter)
    {
        nuint size = 0;
        Check(GetDeviceInfo(device, parameter, 0, null, &size), "clGetDeviceInfo", allowNotFound: false);
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer)
        {
            Check(GetDeviceInfo(device, parameter, size, p, null), "clGetDeviceInfo", allowNotFound: false);
        }

        return Encoding.UTF8.GetString(buffer).TrimEnd('\0').Trim();
    }

    private static unsafe ulong DeviceUInt64(nint device, uint parameter)
    {
        ulong value = 0;
        Check(GetDeviceInfo(device, parameter, sizeof(ulong), &value, null), "clGetDeviceInfo", allowNotFound: false);
        return value;
    }

    private static unsafe uint DeviceUInt32(nint device, uint parameter)
    {
        uint value = 0;
        Check(GetDeviceInfo(device, parameter, sizeof(uint), &value, null), "clGetDeviceInfo", allowNotFound: false);
        return value;
    }

    private static unsafe nuint DeviceNUInt(nint device, uint parameter)
    {
        nuint value = 0;
        Check(GetDeviceInfo(device, parameter, (nuint)sizeof(nuint), &value, null), "clGetDeviceInfo", allowNotFound: false);
        return value;
    }

    [LibraryImport(Library, EntryPoint = "clGetPlatformIDs")]
    private static partial int GetPlatformIds(uint entries, [Out] nint[]? platforms, ref uint count);

    [LibraryImport(Library, EntryPoint = "clGetPlatformInfo")]
    private static unsafe partial int GetPlatformInfo(nint platform, uint parameter, nuint size, void* value, nuint* sizeReturned);

    [LibraryImport(Library, EntryPoint = "clGetDeviceIDs")]
    private static partial int GetDeviceIds(nint platform, ulong type, uint entries, [Out] nint[]? devices, ref uint count);

    [LibraryImport(Library, EntryPoint = "clGetDeviceInfo")]
    private static unsafe partial int GetDeviceInfo(nint device, uint parameter, nuint size, void* value, nuint* sizeReturned);
}

/// <summary>A native call that failed; the message names the call and its status.</summary>
public sealed class NativeCallException(string message) : Exception(message);

/// <summary>Where the native libraries are looked for: the names the import attributes use, mapped to the sonames.</summary>
internal static class NativeLibraries
{
    public const string OpenCl = "libOpenCL.so.1";
    public const string Cuda = "libcuda.so.1";
    private static int _registered;

    public static void Register(Assembly assembly)
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => name switch
        {
            "OpenCL" => NativeLibrary.TryLoad(OpenCl, out nint openCl) ? openCl : throw new DllNotFoundException(OpenCl),
            "cuda" => NativeLibrary.TryLoad(Cuda, out nint cuda) ? cuda : throw new DllNotFoundException(Cuda),
            _ => nint.Zero,
        });
    }
}
