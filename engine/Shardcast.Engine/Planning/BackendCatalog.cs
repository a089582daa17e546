using Shardcast.Kernels;
using Shardcast.Kernels.Cuda;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.OpenCl;
using Shardcast.Kernels.Probes;
using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Planning;

/// <summary>
/// Resolves a backend name to a search backend. A device backend comes with the managed backend behind it, so a
/// device that is missing or fails mid-run costs the plan its speed, never its answer (the plan names the
/// fallback and why). "auto" takes CUDA where a GPU and NVRTC are found, else an OpenCL GPU, else the managed
/// backend: on the CPU, PoCL and the managed backend reach the same quality in the same time (docs/benchmarks.md),
/// and the managed one needs no driver and no kernel compile, so PoCL is used only when named.
/// </summary>
public static class BackendCatalog
{
    public static IReadOnlyList<string> Known { get; } = ["auto", "managed", "opencl", "cuda"];

    private static readonly Lazy<bool> OpenClGpu = new(() => OpenClProbe.Probe().Devices.Any(d => d.Kind == "gpu"));

    private static readonly Lazy<bool> CudaReady = new(() => CudaProbe.Probe().Searchable);

    /// <summary>
    /// Builds, ahead of any request, the device runtime that "auto" would search on: CUDA's first use compiles the
    /// kernel source with NVRTC and the driver JIT-compiles the PTX (about a minute of one core on a 2-core CPU,
    /// docs/benchmarks.md), which a server's first plan would otherwise wait for. Returns the backend prepared,
    /// or "managed" where no device backend would be picked. A failure is kept by the runtime, as on first use, and
    /// plans then fall back with its reason.
    /// </summary>
    public static string Prepare()
    {
        string chosen = AutoChoice;
        try
        {
            _ = chosen switch
            {
                CudaBackend.BackendName => CudaBackend.DeviceName,
                OpenClBackend.BackendName => OpenClBackend.DeviceName,
                _ => null,
            };
            return chosen;
        }
        catch (NativeCallException)
        {
            // Remembered by the shared runtime; the first plan that asks for the backend reports it.
            return ManagedBackend.BackendName;
        }
    }

    /// <summary>The backend "auto" searches on: CUDA where it can search, else an OpenCL GPU, else managed.</summary>
    private static string AutoChoice =>
        CudaReady.Value ? CudaBackend.BackendName : OpenClGpu.Value ? OpenClBackend.BackendName : ManagedBackend.BackendName;

    public static ISearchBackend Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name switch
        {
            ManagedBackend.BackendName => new ManagedBackend(),
            OpenClBackend.BackendName => new FallbackBackend(new OpenClBackend(), new ManagedBackend()),
            CudaBackend.BackendName => new FallbackBackend(new CudaBackend(), new ManagedBackend()),
            "auto" => Resolve(AutoChoice),
            _ => throw new PlanningException($"unknown backend '{name}'; expected one of {string.Join(", ", Known)}"),
        };
    }
}
