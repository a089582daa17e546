using System.Globalization;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Layout;

/// <summary>
/// A store as the planner sees it: its primaries (named by address, which is what operators know them by) and its
/// partitions with keys, bytes and traffic. Keys per slot come from the store (COUNTKEYSINSLOT); bytes from the key
/// count times the mean size of a sample of the partition's keys (key plus value, STRLEN; neither server reports a
/// slot's bytes cheaply); operations per second from the client layer's counts (<see cref="SlotTraffic"/>).
/// </summary>
public sealed record StoreSnapshot(SlotMap Map, IReadOnlyList<PartitionObservation> Partitions, TimeSpan Window)
{
    /// <summary>Keys sampled per partition for its mean size.</summary>
    public const int SampledKeys = 16;

    /// <summary>A node's name in cluster and plan files: its address.</summary>
    public static string NodeName(StoreNode node) => node.EndPoint.ToString();

    public static async Task<StoreSnapshot> ReadAsync(StoreCluster store, int partitions, SlotTrafficWindow? traffic, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var map = await store.ReadSlotMapAsync().ConfigureAwait(false);
        if (map.InTransit.Count > 0)
        {
            throw new StoreCommandException($"slots {string.Join(", ", map.InTransit.Keys.Order().Take(8))} are in transit; a snapshot is taken between moves (recover or finish them first)");
        }

        var cut = StorePartition.Cut(map, partitions);
        var keysPerSlot = await CountKeysAsync(map, cancellation).ConfigureAwait(false);
        var observed = new PartitionObservation[cut.Count];
        for (int p = 0; p < cut.Count; p++)
        {
            cancellation.ThrowIfCancellationRequested();
            var partition = cut[p];
            var counts = keysPerSlot.AsSpan(partition.Range.First, partition.Range.Count).ToArray();
            long keys = counts.Sum();
            double meanSize = keys == 0 ? 0 : await MeanKeySizeAsync(store, partition, counts).ConfigureAwait(false);
            observed[p] = new PartitionObservation(partition, keys, keys * meanSize, traffic?.OperationsPerSecond(partition.Range) ?? 0);
        }

        return new StoreSnapshot(map, observed, traffic?.Span ?? TimeSpan.Zero);
    }

    /// <summary>Keys per slot, each slot asked of its owner, the questions to one node pipelined (16384 round trips took 30 s under load).</summary>
    private static async Task<long[]> CountKeysAsync(SlotMap map, CancellationToken cancellation)
    {
        var counts = new long[HashSlots.Count];
        await Task.WhenAll(map.Nodes.Select(async node =>
        {
            var slots = Enumerable.Range(0, HashSlots.Count).Where(s => map.Owner(s)?.Id == node.Id).ToArray();
            await using var connection = await RespConnection.OpenAsync(node.EndPoint, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
            foreach (var chunk in slots.Chunk(1024))
            {
                var replies = await connection.PipelineAsync([.. chunk.Select(s => new object[] { "CLUSTER", "COUNTKEYSINSLOT", s })], cancellation).ConfigureAwait(false);
                for (int i = 0; i < chunk.Length; i++)
                {
                    counts[chunk[i]] = replies[i].OrThrow($"{node}: CLUSTER COUNTKEYSINSLOT {chunk[i]}").Integer;
                }
            }
        })).ConfigureAwait(false);
        return counts;
    }

    private static async Task<double> MeanKeySizeAsync(StoreCluster store, StorePartition partition, long[] counts)
    {
        var sizes = new List<long>();
        for (int i = 0; i < counts.Length && sizes.Count < SampledKeys; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            var keys = (StackExchange.Redis.RedisResult[])(await store.ExecuteAsync(partition.Owner.EndPoint, "CLUSTER", "GETKEYSINSLOT", partition.Range.First + i, SampledKeys - sizes.Count).ConfigureAwait(false))!;
            foreach (var key in keys)
            {
                string name = key.ToString() ?? "";
                long length;
                try
                {
                    length = (long)await store.ExecuteAsync(partition.Owner.EndPoint, "STRLEN", name).ConfigureAwait(false);
                }
                catch (StackExchange.Redis.RedisServerException)
                {
                    length = 0; // Not a string: counted by its name only.
                }

                sizes.Add(System.Text.Encoding.UTF8.GetByteCount(name) + length);
            }
        }

        return sizes.Count == 0 ? 0 : sizes.Average();
    }

    /// <summary>Each node's operations per second, summed over its partitions.</summary>
    public IReadOnlyDictionary<string, double> NodeLoad() =>
        Map.Nodes.ToDictionary(NodeName, n => Partitions.Where(p => p.Partition.Owner.Id == n.Id).Sum(p => p.OperationsPerSecond), StringComparer.Ordinal);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Map.Nodes.Count} nodes, {Partitions.Count} partitions, {Partitions.Sum(p => p.Keys)} keys");
}

/// <summary>One partition as observed: keys, estimated bytes and operations per second.</summary>
public sealed record PartitionObservation(StorePartition Partition, long Keys, double Bytes, double OperationsPerSecond);
