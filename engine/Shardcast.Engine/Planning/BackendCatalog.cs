using Shardcast.Kernels.Devices;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.OpenCl;
using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Planning;

/// <summary>
/// Resolves a backend name to a search backend. A device backend comes with the managed backend behind it, so a
/// device that is missing or fails mid-run costs the plan its speed, never its answer (the plan names the
/// fallback and why). "auto" takes an OpenCL GPU where there is one, else the managed backend: on the CPU the
/// managed backend is the faster of the two (docs/benchmarks.md), so PoCL is used only when named.
/// </summary>
public static class BackendCatalog
{
    public static IReadOnlyList<string> Known { get; } = ["auto", "managed", "opencl", "cuda"];

    public static IReadOnlyList<string> Available { get; } = ["managed", "opencl"];

    private static readonly Lazy<bool> OpenClGpu = new(() => OpenClProbe.Probe().Devices.Any(d => d.Kind == "gpu"));

    public static ISearchBackend Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name switch
        {
            ManagedBackend.BackendName => new ManagedBackend(),
            OpenClBackend.BackendName => new FallbackBackend(new OpenClBackend(), new ManagedBackend()),
            "auto" => OpenClGpu.Value ? new FallbackBackend(new OpenClBackend(), new ManagedBackend()) : new ManagedBackend(),
            "cuda" => throw new PlanningException($"backend 'cuda' is not available in this build; available: {string.Join(", ", Available)} (or auto)"),
            _ => throw new PlanningException($"unknown backend '{name}'; expected one of {string.Join(", ", Known)}"),
        };
    }
}
