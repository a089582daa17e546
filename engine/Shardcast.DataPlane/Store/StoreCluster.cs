using System.Net;
using StackExchange.Redis;

namespace Shardcast.DataPlane.Store;

/// <summary>
/// A Redis Cluster protocol store reached by its nodes' addresses: one admin connection to every node (admin
/// commands go to a named node, never through redirection), the slot map read from the nodes themselves, and a
/// data connection that routes keys by slot and follows MOVED and ASK like any cluster client.
/// </summary>
public sealed class StoreCluster : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _admin;

    private StoreCluster(ConnectionMultiplexer admin, ConnectionMultiplexer data, IReadOnlyList<IPEndPoint> seeds)
    {
        _admin = admin;
        Data = data;
        Seeds = seeds;
    }

    /// <summary>The addresses the cluster was reached by.</summary>
    public IReadOnlyList<IPEndPoint> Seeds { get; }

    /// <summary>A cluster client for keys: routes by slot, follows MOVED and ASK.</summary>
    public ConnectionMultiplexer Data { get; }

    public static async Task<StoreCluster> ConnectAsync(IReadOnlyList<IPEndPoint> seeds, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0)
        {
            throw new ArgumentException("a store is reached by at least one node's address", nameof(seeds));
        }

        int ms = (int)(timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        ConfigurationOptions Options(bool admin)
        {
            var options = new ConfigurationOptions { AllowAdmin = admin, ConnectTimeout = ms, SyncTimeout = ms, AsyncTimeout = ms, AbortOnConnectFail = false, ConnectRetry = 3 };
            foreach (var seed in seeds)
            {
                options.EndPoints.Add(seed);
            }

            return options;
        }

        var admin = await ConnectionMultiplexer.ConnectAsync(Options(admin: true)).ConfigureAwait(false);
        var data = await ConnectionMultiplexer.ConnectAsync(Options(admin: false)).ConfigureAwait(false);
        return new StoreCluster(admin, data, seeds);
    }

    /// <summary>Runs an admin command on one node (no redirection: CLUSTER SETSLOT means what it says on that node).</summary>
    public Task<RedisResult> ExecuteAsync(IPEndPoint node, string command, params object[] arguments) =>
        _admin.GetServer(node).ExecuteAsync(command, arguments, CommandFlags.NoRedirect);

    /// <summary>The slot map as <paramref name="node"/> reports it, or by default the first seed that answers.</summary>
    public async Task<SlotMap> ReadSlotMapAsync(IPEndPoint? node = null)
    {
        if (node is not null)
        {
            return await ReadSlotMapFromAsync(node).ConfigureAwait(false);
        }

        // Any seed that answers, those connected first: with the first one down, recovery could not start and the
        // loop saw nothing (chaos found it: a target killed at the flip was the first seed of an embedded cluster).
        var order = Seeds.OrderByDescending(seed => _admin.GetServer(seed).IsConnected).ToList();
        for (int i = 0; ; i++)
        {
            try
            {
                return await ReadSlotMapFromAsync(order[i]).ConfigureAwait(false);
            }
            catch (Exception e) when (i < order.Count - 1 && e is RedisException or TimeoutException or System.Net.Sockets.SocketException)
            {
            }
        }
    }

    private async Task<SlotMap> ReadSlotMapFromAsync(IPEndPoint node) =>
        ClusterNodesFormat.Parse((await ExecuteAsync(node, "CLUSTER", "NODES").ConfigureAwait(false)).ToString() ?? "");

    /// <summary>The slot the server computes for a key (CLUSTER KEYSLOT), to check a client's routing against it.</summary>
    public async Task<int> ServerKeySlotAsync(string key) => (int)await ExecuteAsync(Seeds[0], "CLUSTER", "KEYSLOT", key).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await Data.DisposeAsync().ConfigureAwait(false);
        await _admin.DisposeAsync().ConfigureAwait(false);
    }
}
