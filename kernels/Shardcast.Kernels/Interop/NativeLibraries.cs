using System.Reflection;
using System.Runtime.InteropServices;

namespace Shardcast.Kernels.Interop;

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
