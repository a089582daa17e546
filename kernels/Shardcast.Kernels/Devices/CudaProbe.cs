using System.Runtime.InteropServices;
using System.Text;

namespace Shardcast.Kernels.Devices;

/// <summary>
/// Finds CUDA devices through the driver API (libcuda.so.1) and looks for NVRTC where CUDA toolkits and Python
/// wheels put it, recording every path tried. Enumeration only: no context is created.
/// </summary>
public static partial class CudaProbe
{
    private const string Library = "cuda";
    private const int MultiprocessorCount = 16;

    static CudaProbe() => NativeLibraries.Register(typeof(CudaProbe).Assembly);

    /// <summary>Where NVRTC is looked for, in order: the loader's path, CUDA toolkits, pip's nvidia-cuda-nvrtc wheels.</summary>
    public static IReadOnlyList<string> NvrtcCandidates()
    {
        var candidates = new List<string> { "libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.11.2" };
        foreach (string root in new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu", "/opt/cuda/lib64" })
        {
            candidates.Add(Path.Combine(root, "libnvrtc.so"));
        }

        foreach (string sitePackages in new[] { "/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages", Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".local/lib/python3.11/site-packages") })
        {
            string folder = Path.Combine(sitePackages, "nvidia", "cuda_nvrtc", "lib");
            if (Directory.Exists(folder))
            {
                candidates.AddRange(Directory.GetFiles(folder, "libnvrtc.so*").Order(StringComparer.Ordinal));
            }
        }

        return candidates;
    }

    public static BackendReport Probe()
    {
        var tried = new List<string> { NativeLibraries.Cuda };
        try
        {
            Check(Init(0), "cuInit");
            Check(DriverGetVersion(out int version), "cuDriverGetVersion");
            Check(DeviceGetCount(out int count), "cuDeviceGetCount");
            if (count == 0)
            {
                return new BackendReport("cuda", false, [], "the CUDA driver reports no device", tried, null);
            }

            var devices = new List<DeviceReport>();
            for (int ordinal = 0; ordinal < count; ordinal++)
            {
                Check(DeviceGet(out int device, ordinal), "cuDeviceGet");
                devices.Add(new DeviceReport(Name(device), "gpu", "NVIDIA", $"CUDA driver {version / 1000}.{version % 1000 / 10}", Attribute(device, MultiprocessorCount), (long)TotalMemory(device), 1024));
            }

            string? nvrtc = null;
            foreach (string candidate in NvrtcCandidates())
            {
                tried.Add(candidate);
                if (NativeLibrary.TryLoad(candidate, out nint handle))
                {
                    NativeLibrary.Free(handle);
                    nvrtc = candidate;
                    break;
                }
            }

            string note = nvrtc is null
                ? "devices found, but no NVRTC library (every path tried is listed); the CUDA search backend is not built yet"
                : $"devices found, NVRTC at {nvrtc}; the CUDA search backend is not built yet, the managed backend searches";
            return new BackendReport("cuda", false, devices, null, tried, note);
        }
        catch (DllNotFoundException)
        {
            return new BackendReport("cuda", false, [], $"{NativeLibraries.Cuda} not found (no NVIDIA driver on this machine)", tried, null);
        }
        catch (NativeCallException e)
        {
            return new BackendReport("cuda", false, [], e.Message, tried, null);
        }
    }

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new NativeCallException($"{call} failed with CUDA status {status}");
        }
    }

    private static unsafe string Name(int device)
    {
        var buffer = new byte[256];
        fixed (byte* p = buffer)
        {
            Check(DeviceGetName(p, buffer.Length, device), "cuDeviceGetName");
        }

        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    private static nuint TotalMemory(int device)
    {
        Check(DeviceTotalMem(out nuint bytes, device), "cuDeviceTotalMem");
        return bytes;
    }

    private static int Attribute(int device, int attribute)
    {
        Check(DeviceGetAttribute(out int value, attribute, device), "cuDeviceGetAttribute");
        return value;
    }

    [LibraryImport(Library, EntryPoint = "cuInit")]
    private static partial int Init(uint flags);

    [LibraryImport(Library, EntryPoint = "cuDriverGetVersion")]
    private static partial int DriverGetVersion(out int version);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetCount")]
    private static partial int DeviceGetCount(out int count);

    [LibraryImport(Library, EntryPoint = "cuDeviceGet")]
    private static partial int DeviceGet(out int device, int ordinal);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetName")]
    private static unsafe partial int DeviceGetName(byte* name, int length, int device);

    [LibraryImport(Library, EntryPoint = "cuDeviceTotalMem_v2")]
    private static partial int DeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetAttribute")]
    private static partial int DeviceGetAttribute(out int value, int attribute, int device);
}

/// <summary>Every backend's report, in the default order of preference: CUDA, OpenCL, managed.</summary>
public static class DeviceCatalog
{
    public static IReadOnlyList<BackendReport> Probe() =>
    [
        CudaProbe.Probe(),
        OpenClProbe.Probe(),
        new BackendReport(
            "managed", true,
            [new DeviceReport("CPU", "cpu", "", $".NET {Environment.Version}, {(System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "Vector256" : "scalar")}", Environment.ProcessorCount, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, 1)],
            null, [], null),
    ];
}
