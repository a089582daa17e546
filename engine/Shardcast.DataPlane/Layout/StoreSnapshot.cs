using System.Globalization;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Layout;

/// <summary>
/// A store as the planner sees it: its primaries (named by address, which is what operators know them by) and its
/// partitions with keys, bytes and traffic. Keys come from one SCAN of each node; bytes from the key count times the
/// mean size of a sample of the partition's keys (key plus value, STRLEN; neither server reports a slot's bytes
/// cheaply); operations per second from the client layer's counts (<see cref="SlotTraffic"/>).
/// </summary>
public sealed record StoreSnapshot(SlotMap Map, IReadOnlyList<PartitionObservation> Partitions, TimeSpan Window)
{
    /// <summary>Keys sampled per partition for its mean size.</summary>
    public const int SampledKeys = 16;

    /// <summary>A node's name in cluster and plan files: its address.</summary>
    public static string NodeName(StoreNode node) => node.EndPoint.ToString();

    public static Task<StoreSnapshot> ReadAsync(StoreCluster store, int partitions, SlotTrafficWindow? traffic, CancellationToken cancellation = default) =>
        ReadAsync(store, map => StorePartition.Cut(map, partitions), traffic, cancellation);

    /// <summary>
    /// The store cut into partitions by <paramref name="cut"/> (given the slot map; e.g. an even cut with its hot ranges
    /// cut finer). Slots in transit are refused unless <paramref name="inTransitAtSource"/>: then each counts where it
    /// is served until its flip, its source (a re-plan during an execution; a slot that flips while the nodes are
    /// scanned is not counted on either side, so its partition's keys read low for that one snapshot).
    /// </summary>
    public static async Task<StoreSnapshot> ReadAsync(StoreCluster store, Func<SlotMap, IReadOnlyList<StorePartition>> cut, SlotTrafficWindow? traffic, CancellationToken cancellation = default, bool inTransitAtSource = false)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cut);
        var map = await store.ReadSlotMapAsync().ConfigureAwait(false);
        if (map.InTransit.Count > 0 && !inTransitAtSource)
        {
            throw new StoreCommandException($"slots {string.Join(", ", map.InTransit.Keys.Order().Take(8))} are in transit; a snapshot is taken between moves (recover or finish them first)");
        }

        var partitionsCut = cut(map);
        var partitionOf = new int[HashSlots.Count];
        Array.Fill(partitionOf, -1);
        for (int p = 0; p < partitionsCut.Count; p++)
        {
            for (int slot = partitionsCut[p].Range.First; slot <= partitionsCut[p].Range.Last; slot++)
            {
                partitionOf[slot] = p;
            }
        }

        var keys = new long[partitionsCut.Count];
        var sizes = new double[partitionsCut.Count];
        await Task.WhenAll(map.Nodes.Select(node => ScanNodeAsync(map, node, partitionOf, keys, sizes, cancellation))).ConfigureAwait(false);
        var observed = new PartitionObservation[partitionsCut.Count];
        for (int p = 0; p < partitionsCut.Count; p++)
        {
            observed[p] = new PartitionObservation(partitionsCut[p], keys[p], keys[p] * sizes[p], traffic?.OperationsPerSecond(partitionsCut[p].Range) ?? 0);
        }

        return new StoreSnapshot(map, observed, traffic?.Span ?? TimeSpan.Zero);
    }

    /// <summary>
    /// Counts the keys of the partitions a node owns by one SCAN of the node (each key's slot computed here) and
    /// takes the mean size of up to <see cref="SampledKeys"/> keys of each (STRLEN, pipelined). One pass over the
    /// node's keys: Garnet answers COUNTKEYSINSLOT by going through every key it holds, so asking it per slot took
    /// 16384 passes (about 17 s at 20,000 keys under load, here).
    /// </summary>
    private static async Task ScanNodeAsync(SlotMap map, StoreNode node, int[] partitionOf, long[] keys, double[] sizes, CancellationToken cancellation)
    {
        var samples = new Dictionary<int, List<string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal); // SCAN may return a key more than once (Garnet did: 3,001 of 3,000).

        await using var connection = await RespConnection.OpenAsync(node.EndPoint, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
        string cursor = "0";
        do
        {
            var reply = (await connection.CallAsync(cancellation, "SCAN", cursor, "COUNT", 1000).ConfigureAwait(false)).OrThrow($"{node}: SCAN");
            cursor = reply.Items[0].Text;
            foreach (var item in reply.Items[1].Items)
            {
                string key = item.Text;
                if (!seen.Add(key))
                {
                    continue;
                }

                int slot = HashSlots.Of(key);
                int p = partitionOf[slot];
                if (p < 0 || map.Owner(slot)?.Id != node.Id)
                {
                    continue; // A copy left on a node that does not own the slot is not the partition's.
                }

                Interlocked.Increment(ref keys[p]);
                var sample = samples.TryGetValue(p, out var list) ? list : samples[p] = [];
                if (sample.Count < SampledKeys)
                {
                    sample.Add(key);
                }
            }
        }
        while (cursor != "0");

        var sampled = samples.SelectMany(s => s.Value.Select(k => (Partition: s.Key, Key: k))).ToList();
        if (sampled.Count == 0)
        {
            return;
        }

        var lengths = await connection.PipelineAsync([.. sampled.Select(s => new object[] { "STRLEN", s.Key })], cancellation).ConfigureAwait(false);
        // A key that is not a string (STRLEN refuses it) counts by its name only.
        foreach (var group in sampled.Select((s, i) => (s.Partition, Size: System.Text.Encoding.UTF8.GetByteCount(s.Key) + (lengths[i].IsError ? 0 : lengths[i].Integer))).GroupBy(s => s.Partition))
        {
            sizes[group.Key] = group.Average(g => g.Size);
        }
    }

    /// <summary>Each node's operations per second, summed over its partitions.</summary>
    public IReadOnlyDictionary<string, double> NodeLoad() =>
        Map.Nodes.ToDictionary(NodeName, n => Partitions.Where(p => p.Partition.Owner.Id == n.Id).Sum(p => p.OperationsPerSecond), StringComparer.Ordinal);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Map.Nodes.Count} nodes, {Partitions.Count} partitions, {Partitions.Sum(p => p.Keys)} keys");
}

/// <summary>One partition as observed: keys, estimated bytes and operations per second.</summary>
public sealed record PartitionObservation(StorePartition Partition, long Keys, double Bytes, double OperationsPerSecond);
