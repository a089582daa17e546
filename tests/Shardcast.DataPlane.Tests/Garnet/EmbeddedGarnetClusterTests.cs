using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Store;
using StackExchange.Redis;

namespace Shardcast.DataPlane.Tests.Garnet;

/// <summary>Garnet servers started in this process form a cluster that a Redis Cluster client uses like any other.</summary>
public class EmbeddedGarnetClusterTests
{
    [Fact]
    public async Task Three_servers_form_a_cluster_with_even_ranges_that_routes_keys_as_the_specification_says()
    {
        await using var cluster = await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 3 });
        var map = await cluster.Store.ReadSlotMapAsync();
        Assert.True(map.Covered);
        Assert.Equal(cluster.EndPoints.OrderBy(e => e.Port), map.Nodes.Select(n => n.EndPoint).OrderBy(e => e.Port));
        Assert.Equal(["0-5460", "5461-10921", "10922-16383"], map.Ranges().Select(r => r.Range.ToString()));

        // The client-side slot of every key is the server's (hash tags included).
        var random = new Random(7);
        foreach (string key in Enumerable.Range(0, 100).Select(i => i % 3 == 0 ? $"{{tenant{i % 7}}}:k{random.Next()}" : $"key:{random.Next()}"))
        {
            Assert.Equal(await cluster.Store.ServerKeySlotAsync(key), HashSlots.Of(key));
        }

        // Keys spread over every node, each read back from its slot's owner.
        var db = cluster.Store.Data.GetDatabase();
        for (int k = 0; k < 600; k++)
        {
            await db.StringSetAsync($"key:{k}", k);
        }

        for (int k = 0; k < 600; k++)
        {
            Assert.Equal(k, (int)await db.StringGetAsync($"key:{k}"));
        }

        foreach (var (node, range) in map.Ranges())
        {
            long held = 0;
            for (int slot = range.First; slot <= range.Last; slot += 1)
            {
                held += (long)await cluster.Store.ExecuteAsync(node.EndPoint, "CLUSTER", "COUNTKEYSINSLOT", slot);
            }

            Assert.Equal(Enumerable.Range(0, 600).Count(k => range.Contains(HashSlots.Of($"key:{k}"))), held);
        }
    }

    [Fact]
    public async Task Options_out_of_range_are_refused_naming_them()
    {
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 0 }));
        Assert.Equal("Nodes", e.ParamName);
    }
}
