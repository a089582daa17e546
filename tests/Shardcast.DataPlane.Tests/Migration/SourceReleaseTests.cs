using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Migration;

/// <summary>
/// A Redis source told that the target owns a slot before gossip has told it (the race chaos found on redis-server:
/// Redis refuses CLUSTER SETSLOT NODE while the node holds keys of the slot, the source kept serving writes that
/// gossip later deleted). Released, it holds no key of the slot, owns it no more and is no longer migrating, and every
/// key reads back from the target.
/// </summary>
public sealed class SourceReleaseTests
{
    private const int Slot = 2_000;
    private const int Keys = 1_500;

    [RedisServerFact]
    public async Task A_redis_source_told_the_owner_before_gossip_gives_the_slot_up_and_every_key_reads_back_from_the_target()
    {
        await using var cluster = await RedisServerCluster.StartAsync(3, TimeSpan.FromSeconds(60));
        var database = cluster.Store.Data.GetDatabase();
        string tag = HashSlots.TagFor(Slot, "r");
        for (int i = 0; i < Keys; i++)
        {
            await database.StringSetAsync($"{{{tag}}}:{i}", $"v{i}");
        }

        var map = await cluster.Store.ReadSlotMapAsync();
        var source = map.Owner(Slot)!;
        var target = map.Nodes.First(n => n.Id != source.Id);
        await using var from = await RespConnection.OpenAsync(source.EndPoint, TimeSpan.FromSeconds(10));
        await using var to = await RespConnection.OpenAsync(target.EndPoint, TimeSpan.FromSeconds(10));
        (await to.CallAsync("CLUSTER", "SETSLOT", Slot, "IMPORTING", source.Id)).OrThrow("importing");
        (await from.CallAsync("CLUSTER", "SETSLOT", Slot, "MIGRATING", target.Id)).OrThrow("migrating");
        var keys = await SlotKeys.ListAsync(from, Slot, CancellationToken.None);
        foreach (var batch in keys.Chunk(500))
        {
            object[] migrate = ["MIGRATE", target.EndPoint.Address.ToString(), target.EndPoint.Port, "", 0, 10_000, "COPY", "REPLACE", "KEYS", .. batch];
            (await from.CallAsync(migrate)).OrThrow("migrate");
        }

        // The refusal this guards against: a plain SETSLOT NODE on the source, which still holds the keys.
        var plain = await from.CallAsync("CLUSTER", "SETSLOT", Slot, "NODE", target.Id);
        Assert.True(plain.IsError, "Redis took SETSLOT NODE on a source holding keys; the race this test covers cannot happen");

        await SlotKeys.ReleaseAsync(from, Slot, target.Id, CancellationToken.None);
        (await to.CallAsync("CLUSTER", "SETSLOT", Slot, "NODE", target.Id)).OrThrow("flip");

        Assert.Equal(0, (await from.CallAsync("CLUSTER", "COUNTKEYSINSLOT", Slot)).OrThrow("count").Integer);
        var seenBySource = await cluster.Store.ReadSlotMapAsync(source.EndPoint);
        Assert.Equal(target.Id, seenBySource.Owner(Slot)!.Id);
        Assert.DoesNotContain(Slot, seenBySource.InTransit.Keys);
        Assert.Equal(Keys, (await to.CallAsync("CLUSTER", "COUNTKEYSINSLOT", Slot)).OrThrow("count").Integer);
        for (int i = 0; i < Keys; i += 37)
        {
            Assert.Equal($"v{i}", (string?)await database.StringGetAsync($"{{{tag}}}:{i}"));
        }
    }
}
