using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
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
        var endPoints = FreeLoopbackEndPoints(options.Nodes);
        var servers = new GarnetServer?[options.Nodes];
        StoreCluster? store = null;
        try
        {
            for (int i = 0; i < options.Nodes; i++)
            {
                servers[i] = new GarnetServer(Arguments(options, endPoints[i], Path.Combine(folder, $"node{i}")), logs, cleanupDir: false, authenticationSettingsOverride: null!);
                servers[i]!.Start();
            }

            store = await StoreCluster.ConnectAsync(endPoints).ConfigureAwait(false);
            for (int i = 1; i < options.Nodes; i++)
            {
                await store.ExecuteAsync(endPoints[0], "CLUSTER", "MEET", endPoints[i].Address.ToString(), endPoints[i].Port).ConfigureAwait(false);
            }

            for (int i = 0; i < options.Nodes; i++)
            {
                int first = i * HashSlots.Count / options.Nodes, last = ((i + 1) * HashSlots.Count / options.Nodes) - 1;
                await store.ExecuteAsync(endPoints[i], "CLUSTER", "ADDSLOTSRANGE", first, last).ConfigureAwait(false);
            }

            await WaitUntilFormedAsync(store, endPoints, options.FormTimeout, cancellation).ConfigureAwait(false);

            // The forming connection saw the nodes before they knew each other; a client connected now reads the
            // cluster's final shape.
            await store.DisposeAsync().ConfigureAwait(false);
            store = null;
            store = await StoreCluster.ConnectAsync(endPoints).ConfigureAwait(false);
            return new EmbeddedGarnetCluster(servers, endPoints, folder, ownsFolder, store);
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var server in servers)
            {
                server?.Dispose();
            }

            if (ownsFolder)
            {
                TryDelete(folder);
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
            TryDelete(_folder);
        }
    }

    /// <summary>Stops node i at once, as a crash would: what it held in memory is gone, its port refuses connections.</summary>
    public void Kill(int node)
    {
        _servers[node]?.Dispose();
        _servers[node] = null;
    }

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

    /// <summary>Every node knows every other, reports the cluster ok, and sees every slot owned.</summary>
    private static async Task WaitUntilFormedAsync(StoreCluster store, IReadOnlyList<IPEndPoint> endPoints, TimeSpan timeout, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        string last = "";
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            bool formed = true;
            foreach (var node in endPoints)
            {
                string info = (await store.ExecuteAsync(node, "CLUSTER", "INFO").ConfigureAwait(false)).ToString() ?? "";
                var map = await store.ReadSlotMapAsync(node).ConfigureAwait(false);
                if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || map.Nodes.Count != endPoints.Count || !map.Covered)
                {
                    formed = false;
                    last = $"{node}: {map.Nodes.Count} of {endPoints.Count} nodes known, slots {(map.Covered ? "covered" : "not all covered")}; {info.Split('\n').FirstOrDefault(l => l.StartsWith("cluster_state", StringComparison.Ordinal))?.Trim()}";
                    break;
                }
            }

            if (formed)
            {
                return;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the embedded Garnet cluster did not form within {timeout.TotalSeconds:0} s ({last})");
            }

            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ports the OS says are free on loopback, each with its cluster bus port (port + 10000) free too, since the
    /// servers announce that one to each other.
    /// </summary>
    private static IPEndPoint[] FreeLoopbackEndPoints(int count)
    {
        var found = new List<IPEndPoint>();
        var held = new List<TcpListener>();
        try
        {
            while (found.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                held.Add(listener);
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (port + 10000 <= 65535 && IsFree(port + 10000))
                {
                    found.Add(new IPEndPoint(IPAddress.Loopback, port));
                }
            }

            return [.. found];
        }
        finally
        {
            foreach (var listener in held)
            {
                listener.Stop();
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Garnet may still hold a checkpoint file for a moment after disposal; the folder is a temporary one.
        }
    }
}
