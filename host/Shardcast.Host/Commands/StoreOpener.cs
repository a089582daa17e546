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
