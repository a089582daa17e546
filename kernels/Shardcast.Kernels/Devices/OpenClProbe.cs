using System.Reflection;
using System.Runtime.InteropServices;
using Shardcast.Kernels.OpenCl;

namespace Shardcast.Kernels.Devices;

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

/// <summary>A native call that failed; the message names the call and its status.</summary>
public sealed class NativeCallException(string message) : Exception(message);

/// <summary>Where the native libraries are looked for: the names the import attributes use, mapped to the sonames.</summary>
internal static class NativeLibraries
{
    public const string OpenCl = "libOpenCL.so.1";
    public const string Cuda = "libcuda.so.1";
    private static int _registered;

    /// <summary>Names a driver library to try before all others (a driver outside the usual places).</summary>
    public const string CudaDriverVariable = "SHARDCAST_CUDA_DRIVER";

    /// <summary>
    /// The library SHARDCAST_CUDA_DRIVER names, if set; the CUDA driver by its soname; then where drivers sit when
    /// the loader's path does not say (containers mount theirs under /usr/local/nvidia; WSL under /usr/lib/wsl).
    /// </summary>
    public static IReadOnlyList<string> CudaCandidates { get; } =
    [
        .. Environment.GetEnvironmentVariable(CudaDriverVariable) is { Length: > 0 } named ? [named] : Array.Empty<string>(),
        Cuda, "/usr/local/nvidia/lib64/libcuda.so.1", "/usr/local/nvidia/lib/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1",
    ];

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
