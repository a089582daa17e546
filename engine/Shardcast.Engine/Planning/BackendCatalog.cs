using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Planning;

/// <summary>
/// Resolves a backend name to a search backend. "auto" takes the best one available; today that is the
/// managed CPU backend, the one every machine has. Naming a backend this build does not have is refused.
/// </summary>
public static class BackendCatalog
{
    public static IReadOnlyList<string> Known { get; } = ["auto", "managed", "opencl", "cuda"];

    public static IReadOnlyList<string> Available { get; } = ["managed"];

    public static ISearchBackend Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name switch
        {
            "auto" or ManagedBackend.BackendName => new ManagedBackend(),
            "opencl" or "cuda" => throw new PlanningException($"backend '{name}' is not available in this build; available: {string.Join(", ", Available)} (or auto)"),
            _ => throw new PlanningException($"unknown backend '{name}'; expected one of {string.Join(", ", Known)}"),
        };
    }
}
