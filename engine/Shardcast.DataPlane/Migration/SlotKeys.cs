using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Migration;

/// <summary>One slot on one node: whether the node owns it, and listing and dropping its keys the way each server family allows.</summary>
internal static class SlotKeys
{
    /// <summary>Whether the node says it owns the slot (its own CLUSTER NODES, on a connection of its own); null where it does not answer within <paramref name="timeout"/>.</summary>
    public static async Task<bool?> OwnsAsync(StoreNode node, int slot, TimeSpan timeout, CancellationToken cancellation)
    {
        try
        {
            await using var connection = await RespConnection.OpenAsync(node.EndPoint, timeout, cancellation).ConfigureAwait(false);
            var reply = (await connection.CallAsync(CancellationToken.None, "CLUSTER", "NODES").ConfigureAwait(false)).OrThrow($"{node}: CLUSTER NODES");
            return ClusterNodesFormat.Parse(reply.Text).Owner(slot)?.Id == node.Id;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or StoreCommandException || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>Every key of the slot the node holds.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(RespConnection node, int slot, CancellationToken cancellation)
    {
        long count = (await node.CallAsync(cancellation, "CLUSTER", "COUNTKEYSINSLOT", slot).ConfigureAwait(false)).OrThrow($"{node.EndPoint}: COUNTKEYSINSLOT {slot}").Integer;
        if (count == 0)
        {
            return [];
        }

        var keys = (await node.CallAsync(cancellation, "CLUSTER", "GETKEYSINSLOT", slot, count).ConfigureAwait(false)).OrThrow($"{node.EndPoint}: GETKEYSINSLOT {slot}");
        return [.. keys.Items.Select(k => k.Text)];
    }

    /// <summary>
    /// Makes a node that may still own the slot give it to <paramref name="owner"/>, which holds every key of it
    /// (the source after the target's flip, while writes are fenced). Garnet takes CLUSTER SETSLOT NODE as it is.
    /// Redis refuses it while the node holds keys of the slot, and a source that kept the slot until gossip reached
    /// it served writes to keys it held, which gossip then deleted (chaos on redis-server, seed 1 schedule 24: 27
    /// acknowledged writes lost): its keys are deleted first (a key gone already answers ASK or MOVED), then it is
    /// told the owner.
    /// </summary>
    public static async Task ReleaseAsync(RespConnection node, int slot, string owner, CancellationToken cancellation)
    {
        var told = await node.CallAsync(cancellation, "CLUSTER", "SETSLOT", slot, "NODE", owner).ConfigureAwait(false);
        if (!told.IsError)
        {
            return;
        }

        if (!told.Text.Contains("still hold keys", StringComparison.Ordinal))
        {
            told.OrThrow($"{node.EndPoint}: CLUSTER SETSLOT {slot} NODE");
        }

        foreach (var batch in (await ListAsync(node, slot, cancellation).ConfigureAwait(false)).Chunk(DeleteBatch))
        {
            foreach (var reply in await node.PipelineAsync([.. batch.Select(key => new object[] { "DEL", key })], cancellation).ConfigureAwait(false))
            {
                if (reply.IsError && !reply.Text.StartsWith("ASK", StringComparison.Ordinal) && !reply.Text.StartsWith("MOVED", StringComparison.Ordinal))
                {
                    reply.OrThrow($"{node.EndPoint}: DEL of slot {slot}'s keys");
                }
            }
        }

        (await node.CallAsync(cancellation, "CLUSTER", "SETSLOT", slot, "NODE", owner).ConfigureAwait(false)).OrThrow($"{node.EndPoint}: CLUSTER SETSLOT {slot} NODE (its keys deleted)");
    }

    private const int DeleteBatch = 1000;

    /// <summary>
    /// Deletes the slot's keys on a node that does not own it (a target's partial copy, a source's copy after the
    /// flip where the source kept it; a Redis source released by <see cref="ReleaseAsync"/> has nothing left). Garnet: CLUSTER DELKEYSINSLOT. Redis: the node imports the slot from <paramref name="owner"/> for
    /// a moment so that ASKING lets it take a DEL, key by key, and is then made stable again.
    /// </summary>
    public static async Task DropAsync(RespConnection node, StoreFamily family, int slot, string owner, CancellationToken cancellation)
    {
        if (family == StoreFamily.Garnet)
        {
            (await node.CallAsync(cancellation, "CLUSTER", "DELKEYSINSLOT", slot).ConfigureAwait(false)).OrThrow($"{node.EndPoint}: CLUSTER DELKEYSINSLOT {slot}");
            return;
        }

        var keys = await ListAsync(node, slot, cancellation).ConfigureAwait(false);
        if (keys.Count == 0)
        {
            return;
        }

        (await node.CallAsync(cancellation, "CLUSTER", "SETSLOT", slot, "IMPORTING", owner).ConfigureAwait(false)).OrThrow($"{node.EndPoint}: CLUSTER SETSLOT {slot} IMPORTING");
        foreach (string key in keys)
        {
            (await node.CallAsync(cancellation, "ASKING").ConfigureAwait(false)).OrThrow($"{node.EndPoint}: ASKING");
            (await node.CallAsync(cancellation, "DEL", key).ConfigureAwait(false)).OrThrow($"{node.EndPoint}: DEL {key}");
        }

        // STABLE, not NODE owner: Redis keeps a node's importing state when told another node owns the slot, which
        // left the slot importing on a source after its cleanup (chaos, seed 1 schedule 13, on redis-server).
        (await node.CallAsync(cancellation, "CLUSTER", "SETSLOT", slot, "STABLE").ConfigureAwait(false)).OrThrow($"{node.EndPoint}: CLUSTER SETSLOT {slot} STABLE");
    }

    /// <summary>The family a node belongs to, from its INFO server section.</summary>
    public static async Task<StoreFamily> FamilyAsync(RespConnection node, CancellationToken cancellation)
    {
        var info = (await node.CallAsync(cancellation, "INFO", "server").ConfigureAwait(false)).OrThrow($"{node.EndPoint}: INFO server");
        return info.Text.Contains("garnet", StringComparison.OrdinalIgnoreCase) ? StoreFamily.Garnet : StoreFamily.Redis;
    }
}
