using System.Runtime.InteropServices;
using System.Text;
using Shardcast.Kernels.Cuda;
using Shardcast.Kernels.Interop;

namespace Shardcast.Kernels.Probes;

/// <summary>
/// Finds CUDA devices through the driver API (libcuda.so.1) and looks for NVRTC where CUDA toolkits and Python
/// wheels put it, recording every path tried. Enumeration only: no context is created.
/// </summary>
public static class CudaProbe
{
    private const int MultiprocessorCount = 16;

    /// <summary>Where NVRTC is looked for, in order: the loader's path, CUDA toolkits, pip's nvidia-cuda-nvrtc wheels.</summary>
    public static IReadOnlyList<string> NvrtcCandidates() => NvrtcCandidates(Environment.GetEnvironmentVariable);

    /// <param name="environment">Reads an environment variable (a test passes its own).</param>
    internal static IReadOnlyList<string> NvrtcCandidates(Func<string, string?> environment)
    {
        var candidates = new List<string> { "libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2" };
        var toolkits = new[] { environment("CUDA_HOME"), environment("CUDA_PATH"), "/usr/local/cuda", "/opt/cuda" }.OfType<string>().Where(t => t.Length > 0);
        foreach (string toolkit in toolkits)
        {
            candidates.Add(Path.Combine(toolkit, "lib64", "libnvrtc.so"));
            candidates.Add(Path.Combine(toolkit, "targets", "x86_64-linux", "lib", "libnvrtc.so"));
        }

        candidates.Add("/usr/lib/x86_64-linux-gnu/libnvrtc.so");

        // pip's nvidia-cuda-nvrtc wheels (and torch's dependencies) under any Python 3 of the system, the user, a
        // virtual or conda environment, or the python3 on the PATH (GPU images often keep theirs in /opt/*/.venv).
        foreach (string site in SitePackages(environment))
        {
            foreach (string wheel in new[] { "cuda_nvrtc", "cu13", "cu12" })
            {
                string folder = Path.Combine(site, "nvidia", wheel, "lib");
                if (Directory.Exists(folder))
                {
                    candidates.AddRange(Directory.GetFiles(folder, "libnvrtc.so*").Where(f => !f.Contains("builtins", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
                }
            }
        }

        return candidates.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Python package folders: Debian's, every python3* under the usual prefixes and the environments named or found.</summary>
    private static List<string> SitePackages(Func<string, string?> environment)
    {
        string home = environment("HOME") ?? "/root";
        var prefixes = new List<string> { "/usr/local", "/usr", Path.Combine(home, ".local") };
        prefixes.AddRange(new[] { environment("VIRTUAL_ENV"), environment("CONDA_PREFIX") }.OfType<string>().Where(p => p.Length > 0));
        foreach (string folder in (environment("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(folder, "python3")) && Path.GetDirectoryName(Path.GetFullPath(folder)) is { } prefix)
            {
                prefixes.Add(prefix);
            }
        }

        if (Directory.Exists("/opt"))
        {
            foreach (string opt in Directory.GetDirectories("/opt").Order(StringComparer.Ordinal))
            {
                prefixes.AddRange(new[] { opt, Path.Combine(opt, ".venv"), Path.Combine(opt, "venv") }.Where(Directory.Exists));
            }
        }

        var sites = new List<string> { "/usr/lib/python3/dist-packages" };
        foreach (string prefix in prefixes.Distinct(StringComparer.Ordinal))
        {
            string lib = Path.Combine(prefix, "lib");
            if (!Directory.Exists(lib))
            {
                continue;
            }

            foreach (string python in Directory.GetDirectories(lib, "python3*").Order(StringComparer.Ordinal))
            {
                sites.Add(Path.Combine(python, "dist-packages"));
                sites.Add(Path.Combine(python, "site-packages"));
            }
        }

        return sites;
    }

    /// <summary>The first NVRTC candidate that loads, each one tried added to <paramref name="tried"/>; null where none does.</summary>
    private static string? FindNvrtc(List<string> tried)
    {
        foreach (string candidate in NvrtcCandidates())
        {
            tried.Add(candidate);
            if (NativeLibrary.TryLoad(candidate, out nint handle))
            {
                NativeLibrary.Free(handle);
                return candidate;
            }
        }

        return null;
    }

    public static BackendReport Probe()
    {
        var tried = new List<string>();
        try
        {
            CudaNative.Check(CudaNative.Init(0), "cuInit");
            tried.Add(NativeLibraries.LoadedCuda ?? NativeLibraries.Cuda);
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

            string? nvrtc = FindNvrtc(tried);
            return nvrtc is null
                ? new BackendReport("cuda", false, devices, null, tried, "devices found, but no NVRTC library to compile the kernel source (every path tried is listed)")
                : new BackendReport("cuda", true, devices, null, tried, $"anneals on the first device listed; NVRTC at {nvrtc} compiles the kernel source on first use (PTX cached under ~/.cache/shardcast/cuda)");
        }
        catch (DllNotFoundException)
        {
            string? nvrtc = FindNvrtc([]);
            return new BackendReport("cuda", false, [], $"{NativeLibraries.Cuda} not found (no NVIDIA driver on this machine)", [.. NativeLibraries.CudaCandidates],
                nvrtc is null ? null : $"NVRTC at {nvrtc} is installed: `capabilities --verify` compiles the kernel source with it, without a device");
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
