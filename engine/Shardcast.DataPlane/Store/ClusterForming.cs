using System.Diagnostics;
using System.Net;

namespace Shardcast.DataPlane.Store;

/// <summary>
/// Makes fresh cluster-mode servers one cluster: the first meets every other (CLUSTER MEET), each takes an even range
/// of the slots (CLUSTER ADDSLOTSRANGE), and the call returns once every node knows every other, reports the cluster
/// ok and sees every slot owned. The same for Garnet and redis-server.
/// </summary>
public static class ClusterForming
{
    /// <summary>
    /// Forms the cluster and returns a connection made afterwards: the forming connection saw the nodes before they
    /// knew each other, and a client connected then keeps routing by that shape. The forming connection's commands
    /// may take as long as forming may: a fresh server busy with its first gossip on a loaded machine answered
    /// CLUSTER MEET in more than the usual 10 s (a CI run with several test classes starting clusters at once).
    /// </summary>
    public static async Task<StoreCluster> FormAndConnectAsync(IReadOnlyList<IPEndPoint> endPoints, TimeSpan timeout, CancellationToken cancellation)
    {
        var commandTimeout = timeout > TimeSpan.FromSeconds(10) ? timeout : TimeSpan.FromSeconds(10);
        await using (var forming = await StoreCluster.ConnectAsync(endPoints, commandTimeout).ConfigureAwait(false))
        {
            await FormAsync(forming, endPoints, timeout, cancellation).ConfigureAwait(false);
        }

        return await StoreCluster.ConnectAsync(endPoints).ConfigureAwait(false);
    }

    /// <summary>Removes a folder of servers this process started; a server may still hold a file for a moment after it stopped.</summary>
    public static void TryDeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder: what is left is removed with the others.
        }
    }

    public static async Task FormAsync(StoreCluster store, IReadOnlyList<IPEndPoint> endPoints, TimeSpan timeout, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(endPoints);
        for (int i = 1; i < endPoints.Count; i++)
        {
            await store.ExecuteAsync(endPoints[0], "CLUSTER", "MEET", endPoints[i].Address.ToString(), endPoints[i].Port).ConfigureAwait(false);
        }

        for (int i = 0; i < endPoints.Count; i++)
        {
            var share = SlotRange.EvenShare(i, endPoints.Count);
            await store.ExecuteAsync(endPoints[i], "CLUSTER", "ADDSLOTSRANGE", share.First, share.Last).ConfigureAwait(false);
        }

        await WaitUntilFormedAsync(store, endPoints, timeout, cancellation).ConfigureAwait(false);
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
                throw new TimeoutException($"the cluster did not form within {timeout.TotalSeconds:0} s ({last})");
            }

            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
    }
}
