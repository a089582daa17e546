using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Store;

namespace Shardcast.Host.Commands;

/// <summary>
/// The `--store` option of the commands that drive a store: `garnet` (embedded servers in this process),
/// `redis-server` (Debian's, started as child processes) or `redis://host:port,...` (a running cluster, attached).
/// </summary>
internal static class StoreOpener
{
    public const string Description = "The store: garnet (embedded servers in this process, nothing to install), redis-server (Debian's redis-server started as child processes) or redis://host:port[,host:port...] (a running Redis 7+, Valkey or Garnet cluster).";

    /// <summary>Whether Shardcast starts the store itself (and so may load it with a workload and stop it afterwards).</summary>
    public static bool Starts(string store) => store is "garnet" or "redis-server";

    /// <summary>A reason to refuse the option, or null.</summary>
    public static string? Problem(string store, int nodes)
    {
        if (StoreAddress.IsAddress(store))
        {
            try
            {
                StoreAddress.Parse(store);
                return null;
            }
            catch (Exception e) when (e is FormatException or System.Net.Sockets.SocketException)
            {
                return $"--store: {e.Message}";
            }
        }

        return store switch
        {
            "garnet" or "redis-server" when nodes is < 2 or > EmbeddedGarnetOptions.MaxNodes => $"--nodes must be 2 to {EmbeddedGarnetOptions.MaxNodes}, found {nodes}",
            "redis-server" when RedisServerCluster.FindProgram() is null => "--store redis-server: redis-server is not installed (Debian: apt-get install redis-server)",
            "garnet" or "redis-server" => null,
            _ => $"--store {store}: expected garnet, redis-server or redis://host:port[,host:port...]",
        };
    }

    /// <summary>
    /// Where a store's move journal lives: for a cluster attached by address, a file in the state folder named after
    /// it (a later run recovers what an interrupted one left); for a store Shardcast starts, a temporary file (the
    /// store dies with the process, and its journal means nothing to the next one).
    /// </summary>
    public static (string Path, bool Temporary) JournalFor(string store, string? stateDirectory)
    {
        if (Starts(store) || string.IsNullOrEmpty(stateDirectory))
        {
            return (System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"shardcast-{Guid.NewGuid():N}.journal"), true);
        }

        string folder = System.IO.Path.Combine(stateDirectory, "stores");
        Directory.CreateDirectory(folder);
        string name = new([.. store[StoreAddress.Scheme.Length..].Select(c => char.IsLetterOrDigit(c) ? c : '_')]);
        return (System.IO.Path.Combine(folder, $"{name}.journal"), false);
    }

    /// <summary>The state folder commands use by default: $XDG_STATE_HOME/shardcast, else ~/.local/state/shardcast.</summary>
    public static string DefaultStateDirectory() =>
        System.IO.Path.Combine(
            Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } state ? state : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state"),
            "shardcast");

    /// <summary>Starts or attaches to the store and takes it on (its journal recovered).</summary>
    public static async Task<ManagedStore> OpenAsync(string store, int nodes, string journalPath, CancellationToken cancellation)
    {
        if (StoreAddress.IsAddress(store))
        {
            var cluster = await StoreCluster.ConnectAsync(StoreAddress.Parse(store)).ConfigureAwait(false);
            try
            {
                return await ManagedStore.TakeOnAsync(store, cluster, owner: null, journalPath, cancellation).ConfigureAwait(false);
            }
            catch
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        IFaultableStore started = store == "garnet"
            ? await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = nodes }, cancellation: cancellation).ConfigureAwait(false)
            : await RedisServerCluster.StartAsync(nodes, TimeSpan.FromSeconds(60), cancellation).ConfigureAwait(false);
        try
        {
            return await ManagedStore.TakeOnAsync(store, started.Store, started, journalPath, cancellation).ConfigureAwait(false);
        }
        catch
        {
            await started.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
