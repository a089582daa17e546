using System.Runtime.InteropServices;
using System.Text;
using Shardcast.Kernels.Cuda;

namespace Shardcast.Kernels.Devices;

/// <summary>
/// Finds CUDA devices through the driver API (libcuda.so.1) and looks for NVRTC where CUDA toolkits and Python
/// wheels put it, recording every path tried. Enumeration only: no context is created.
/// </summary>
public static class CudaProbe
{
    private const int MultiprocessorCount = 16;

    /// <summary>Where NVRTC is looked for, in order: the loader's path, CUDA toolkits, pip's nvidia-cuda-nvrtc wheels.</summary>
    public static IReadOnlyList<string> NvrtcCandidates()
    {
        var candidates = new List<string> { "libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2" };
        foreach (string root in new[] { "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu", "/opt/cuda/lib64" })
        {
            candidates.Add(Path.Combine(root, "libnvrtc.so"));
        }

        // pip's nvidia-cuda-nvrtc wheels (and torch's dependencies) under any Python 3 of the system or the user.
        string home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var sitePackages = new List<string> { "/usr/lib/python3/dist-packages" };
        foreach (string parent in new[] { "/usr/local/lib", "/usr/lib", Path.Combine(home, ".local", "lib") })
        {
            if (Directory.Exists(parent))
            {
                foreach (string python in Directory.GetDirectories(parent, "python3*").Order(StringComparer.Ordinal))
                {
                    sitePackages.Add(Path.Combine(python, "dist-packages"));
                    sitePackages.Add(Path.Combine(python, "site-packages"));
                }
            }
        }

        foreach (string site in sitePackages)
        {
            foreach (string folder in new[] { Path.Combine(site, "nvidia", "cuda_nvrtc", "lib"), Path.Combine(site, "nvidia", "cu13", "lib") })
            {
                if (Directory.Exists(folder))
                {
                    candidates.AddRange(Directory.GetFiles(folder, "libnvrtc.so*").Where(f => !f.Contains("builtins", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
                }
            }
        }

        return candidates;
    }

    public static BackendReport Probe()
    {
        var tried = new List<string> { NativeLibraries.Cuda };
        try
        {
            CudaNative.Check(CudaNative.Init(0), "cuInit");
            CudaNative.Check(CudaNative.DriverGetVersion(out int version), "cuDriverGetVersion");
            CudaNative.Check(CudaNative.DeviceGetCount(out int count), "cuDeviceGetCount");
            if (count == 0)
            {
                return new BackendReport("cuda", false, [], "the CUDA driver reports no device", tried, null);
            }

            var devices = new List<DeviceReport>();
            for (int ordinal = 0; ordinal < count; ordinal++)
            {
                CudaNative.Check(CudaNative.DeviceGet(out int device, ordinal), "cuDeviceGet");
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

            return nvrtc is null
                ? new BackendReport("cuda", false, devices, null, tried, "devices found, but no NVRTC library to compile the kernel source (every path tried is listed)")
                : new BackendReport("cuda", true, devices, null, tried, $"anneals on the first device listed; NVRTC at {nvrtc} compiles the kernel source on first use (PTX cached under ~/.cache/shardcast/cuda)");
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

    private static unsafe string Name(int device)
    {
        var buffer = new byte[256];
        fixed (byte* p = buffer)
        {
            CudaNative.Check(CudaNative.DeviceGetName(p, buffer.Length, device), "cuDeviceGetName");
        }

        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    private static nuint TotalMemory(int device)
    {
        CudaNative.Check(CudaNative.DeviceTotalMem(out nuint bytes, device), "cuDeviceTotalMem");
        return bytes;
    }

    private static int Attribute(int device, int attribute)
    {
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int value, attribute, device), "cuDeviceGetAttribute");
        return value;
    }
}

/// <summary>Every backend's report, in the default order of preference: CUDA, OpenCL, managed.</summary>
public static class DeviceCatalog
{
    private static readonly Lazy<IReadOnlyList<BackendReport>> Once = new(Probe);

    /// <summary>The first probe of this process, kept: what a server reports without loading drivers on a request's path.</summary>
    public static IReadOnlyList<BackendReport> Cached => Once.Value;

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
