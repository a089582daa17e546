using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Shardcast.Kernels.Cuda;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

namespace Shardcast.Engine.Tests.Backends;

/// <summary>
/// The CUDA driver layer against NVIDIA's real driver library, which loads without a GPU: every call the layer binds
/// is exported under the name it binds, and the one status check reads the driver's own name for a status. CI
/// unpacks Debian's libcuda1 (not installed: it has no kernel module to talk to) and names it in
/// SHARDCAST_CUDA_DRIVER, with SHARDCAST_REQUIRE_CUDA_DRIVER=1 so that these must run there; elsewhere they skip
/// where no driver library loads.
/// </summary>
public sealed class CudaDriverBindingTests
{
    [CudaDriverFact]
    public void EveryDriverCallTheLayerBinds_IsExportedByTheDriverLibrary()
    {
        var entryPoints = typeof(CudaNative).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(m => (Method: m, Import: m.GetCustomAttribute<LibraryImportAttribute>()))
            .Where(m => m.Import is not null)
            .Select(m => m.Import!.EntryPoint ?? m.Method.Name)
            .ToArray();
        Assert.Contains("cuLaunchKernel", entryPoints);
        Assert.Contains("cuModuleLoadData", entryPoints);

        var (library, path) = CudaDriverFactAttribute.Load();
        var missing = entryPoints.Where(e => !NativeLibrary.TryGetExport(library, e, out _)).ToArray();

        Assert.True(missing.Length == 0, $"{path} exports none of {string.Join(", ", missing)}");
    }

    [CudaDriverFact]
    public void TheProbe_ListsTheDevices_OrNamesTheFailingCallWithTheDriversNameForTheStatus()
    {
        var report = CudaProbe.Probe();

        if (report.Devices.Count == 0)
        {
            // No GPU (no kernel module): cuInit itself fails, and the message carries what cuGetErrorName said.
            Assert.False(report.Searchable);
            Assert.Matches(new Regex(@"^cuInit failed with CUDA_ERROR_[A-Z_]+ \(\d+\)$"), report.Unavailable);
        }
        else
        {
            Assert.All(report.Devices, d => Assert.True(d.GlobalMemoryBytes > 0 && d.ComputeUnits > 0, d.Name));
        }
    }
}

/// <summary>A fact that runs where a CUDA driver library loads (a GPU is not needed), or where SHARDCAST_REQUIRE_CUDA_DRIVER=1 demands one.</summary>
public sealed class CudaDriverFactAttribute : FactAttribute
{
    private static readonly Lazy<(nint Library, string Path)?> Loaded = new(() =>
    {
        foreach (string candidate in NativeLibraries.CudaCandidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint library))
            {
                return (library, candidate);
            }
        }

        return null;
    });

    public CudaDriverFactAttribute()
    {
        if (Loaded.Value is null && Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_CUDA_DRIVER") != "1")
        {
            Skip = $"no CUDA driver library loads (tried {string.Join(", ", NativeLibraries.CudaCandidates)})";
        }
    }

    public static (nint Library, string Path) Load() =>
        Loaded.Value ?? throw new InvalidOperationException($"no CUDA driver library loads (tried {string.Join(", ", NativeLibraries.CudaCandidates)})");
}
