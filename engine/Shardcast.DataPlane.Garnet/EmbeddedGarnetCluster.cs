using System.Globalization;
using System.Net;
using Garnet;
using Microsoft.Extensions.Logging;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Garnet;

/// <summary>
/// Garnet servers in this process, on loopback ports, in cluster mode: the store Shardcast drives when no other is
/// named, with nothing to install. Each server keeps its checkpoints in a folder of its own, uses the random-access
/// device (Garnet's default device needs libaio) and small memory settings (its defaults are 128 MB of index and
/// 16 GB of log per server). Started servers are joined (CLUSTER MEET), given even ranges of the slots, and waited
/// for until every node sees every other and every slot covered.
/// </summary>
public sealed class EmbeddedGarnetCluster : IFaultableStore
{
    private readonly GarnetServer?[] _servers;
    private readonly string _folder;
    private readonly bool _ownsFolder;

    private EmbeddedGarnetCluster(GarnetServer?[] servers, IReadOnlyList<IPEndPoint> endPoints, string folder, bool ownsFolder, StoreCluster store)
    {
        _servers = servers;
        EndPoints = endPoints;
        _folder = folder;
        _ownsFolder = ownsFolder;
        Store = store;
    }

    /// <summary>The servers' addresses, node i at index i.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    /// <summary>The store as any Redis Cluster client reaches it.</summary>
    public StoreCluster Store { get; }

    /// <param name="logs">Where Garnet logs (it needs a factory: without one its MIGRATE closed the connection); by default, nowhere.</param>
    public static async Task<EmbeddedGarnetCluster> StartAsync(EmbeddedGarnetOptions options, ILoggerFactory? logs = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logs ??= LoggerFactory.Create(_ => { });
        bool ownsFolder = options.Folder is null;
        string folder = options.Folder ?? Directory.CreateTempSubdirectory("shardcast-garnet-").FullName;
        var endPoints = LoopbackPorts.Free(options.Nodes);
        var servers = new GarnetServer?[options.Nodes];
        try
        {
            for (int i = 0; i < options.Nodes; i++)
            {
                servers[i] = new GarnetServer(Arguments(options, endPoints[i], Path.Combine(folder, $"node{i}")), logs, cleanupDir: false, authenticationSettingsOverride: null!);
                servers[i]!.Start();
            }

            var store = await ClusterForming.FormAndConnectAsync(endPoints, options.FormTimeout, cancellation).ConfigureAwait(false);
            return new EmbeddedGarnetCluster(servers, endPoints, folder, ownsFolder, store);
        }
        catch
        {
            foreach (var server in servers)
            {
                server?.Dispose();
            }

            if (ownsFolder)
            {
                ClusterForming.TryDeleteFolder(folder);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync().ConfigureAwait(false);
        foreach (var server in _servers)
        {
            server?.Dispose();
        }

        if (_ownsFolder)
        {
            ClusterForming.TryDeleteFolder(_folder);
        }
    }

    /// <summary>Stops node i at once, as a crash would: what it held in memory is gone, its port refuses connections.</summary>
    public void Kill(int node)
    {
        _servers[node]?.Dispose();
        _servers[node] = null;
    }

    /// <summary>Servers in this process cannot be stopped without stopping the process: no hangs.</summary>
    public bool CanHang => false;

    public void Hang(int node) => throw new NotSupportedException("an embedded Garnet server cannot be hung (it shares the process); redis-server's can");

    public void Resume(int node) => throw new NotSupportedException("an embedded Garnet server cannot be hung (it shares the process); redis-server's can");

    private static string[] Arguments(EmbeddedGarnetOptions options, IPEndPoint endPoint, string folder)
    {
        Directory.CreateDirectory(folder);
        return
        [
            "--bind", endPoint.Address.ToString(), "--port", endPoint.Port.ToString(CultureInfo.InvariantCulture), "--cluster",
            "--checkpointdir", folder, "--device-type", "RandomAccess", "--memory", options.MemorySize, "--index", options.IndexSize,
            "--cluster-timeout", "10", "-q",
        ];
    }
}
