using Shardcast.DataPlane.Store;
using StackExchange.Redis;

namespace Shardcast.DataPlane.Migration;

/// <summary>
/// Shardcast's client layer for a managed cluster's keys: every write passes the <see cref="SlotGate"/>. While a
/// slot is copied, a write goes to the slot's owner without following redirects: the source serves every key it
/// holds, and a key it does not hold (a new one) would be redirected (ASK) to the target, where a rollback would lose
/// it. Such a write is held, not acknowledged, until the move has ended, flipped or rolled back, and then made
/// where the slot lives. Reads follow the cluster's redirects as any client's do.
/// </summary>
public sealed class GatedClient(IDatabase database, SlotGate gate, Layout.SlotTraffic? traffic = null)
{
    /// <summary>The operations and bytes per slot this client has made, when it counts them (the store's load observation).</summary>
    public Layout.SlotTraffic? Traffic => traffic;

    public Task SetAsync(string key, RedisValue value, CancellationToken cancellation = default)
    {
        traffic?.Count(HashSlots.Of(key), key.Length + (long)value.Length());
        return WriteAsync(key, flags => database.StringSetAsync(key, value, flags: flags), cancellation);
    }

    public Task DeleteAsync(string key, CancellationToken cancellation = default)
    {
        traffic?.Count(HashSlots.Of(key), key.Length);
        return WriteAsync(key, flags => database.KeyDeleteAsync(key, flags), cancellation);
    }

    public async Task<RedisValue> GetAsync(string key)
    {
        var value = await database.StringGetAsync(key).ConfigureAwait(false);
        traffic?.Count(HashSlots.Of(key), key.Length + (value.IsNull ? 0 : (long)value.Length()));
        return value;
    }

    private async Task WriteAsync(string key, Func<CommandFlags, Task> write, CancellationToken cancellation)
    {
        while (true)
        {
            using (var pass = await gate.EnterAsync(key, cancellation).ConfigureAwait(false))
            {
                if (!pass.Copying)
                {
                    await write(CommandFlags.None).ConfigureAwait(false);
                    return;
                }

                try
                {
                    await write(CommandFlags.NoRedirect).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (IsRedirect(e))
                {
                    // Held: the key is new to the source. Nothing was written; the pass is released so a fence can drain.
                }
            }

            await gate.WhenEndedAsync(HashSlots.Of(key)).WaitAsync(cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>A redirect the client was told not to follow (StackExchange.Redis reports an unfollowed ASK as its target being unreachable).</summary>
    private static bool IsRedirect(Exception e) =>
        e is RedisConnectionException || (e is RedisServerException server && (server.Message.StartsWith("ASK", StringComparison.Ordinal) || server.Message.StartsWith("MOVED", StringComparison.Ordinal)));
}
