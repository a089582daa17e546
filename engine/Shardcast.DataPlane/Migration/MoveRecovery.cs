using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Migration;

/// <summary>
/// What a controller does when it starts: every move its journal left unfinished (a controller killed mid-move) is
/// finished where it had flipped (the target owns the slot: every node is told so, the source's copy is deleted)
/// and rolled back where it had not (the source is made stable, the target's partial copy deleted); then any slot a
/// node still reports as migrating or importing, with no journal entry to say why, is made stable where its owner
/// is (a move begun by a controller that wrote no journal). A move rolled back while its target did not answer
/// (<see cref="SlotMover.RollbackPendingStep"/>) is finished here once the target answers: its partial copy dropped.
/// Afterwards no slot is migrating or importing on a node that answers.
/// </summary>
public static class MoveRecovery
{
    public static async Task<RecoveryReport> RecoverAsync(StoreCluster store, MoveJournal journal, TimeSpan timeout, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(journal);
        var finished = new List<int>();
        var rolledBack = new List<int>();
        var stabilised = new List<int>();
        var map = await store.ReadSlotMapAsync().ConfigureAwait(false);
        foreach (var entry in journal.LastSteps().Where(e => e.Step is not ("done" or "rolled_back")))
        {
            var source = map.Nodes.FirstOrDefault(n => n.Id == entry.Source);
            var target = map.Nodes.FirstOrDefault(n => n.Id == entry.Target);
            // A target that reports itself the owner was flipped, journalled or not: a controller killed between the
            // target's SETSLOT NODE and the journal's "flipped" line must finish the move, not drop the target's keys.
            if (entry.Step is "flipped" or "cleanup" || (target is not null && await SlotKeys.OwnsAsync(target, entry.Slot, timeout, cancellation).ConfigureAwait(false) == true))
            {
                foreach (var node in map.Nodes)
                {
                    await TryAsync(node, timeout, cancellation, "CLUSTER", "SETSLOT", entry.Slot, "NODE", entry.Target).ConfigureAwait(false);
                }

                if (source is not null)
                {
                    await TryReleaseAsync(source, entry.Slot, entry.Target, timeout, cancellation).ConfigureAwait(false);
                    await TryDropAsync(source, entry.Slot, entry.Target, timeout, cancellation).ConfigureAwait(false);
                }

                journal.Record(entry.Move, entry.Slot, entry.Source, entry.Target, "done");
                finished.Add(entry.Slot);
            }
            else
            {
                if (source is not null)
                {
                    await TryAsync(source, timeout, cancellation, "CLUSTER", "SETSLOT", entry.Slot, "STABLE").ConfigureAwait(false);
                }

                // The target's copy must be dropped before the move is closed: stale keys left there could come back
                // to life in a later move to it. A target that still does not answer keeps the move open.
                bool targetClean = target is null
                    || (await TryDropAsync(target, entry.Slot, entry.Source, timeout, cancellation).ConfigureAwait(false)
                        && await TryAsync(target, timeout, cancellation, "CLUSTER", "SETSLOT", entry.Slot, "STABLE").ConfigureAwait(false));
                journal.Record(entry.Move, entry.Slot, entry.Source, entry.Target, targetClean ? "rolled_back" : SlotMover.RollbackPendingStep);
                rolledBack.Add(entry.Slot);
            }
        }

        foreach (var node in map.Nodes)
        {
            SlotMap seen;
            try
            {
                seen = await store.ReadSlotMapAsync(node.EndPoint).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                // A node that is down has nothing to stabilise now (a killed target made recovery throw here, found
                // by chaos at the flip); the next recovery looks again.
                continue;
            }

            foreach (int slot in seen.InTransit.Keys)
            {
                await TryAsync(node, timeout, cancellation, "CLUSTER", "SETSLOT", slot, "STABLE").ConfigureAwait(false);
                stabilised.Add(slot);
            }
        }

        return new RecoveryReport(finished, rolledBack, [.. stabilised.Distinct().Order()]);
    }

    /// <summary>A source that still owns the slot gives it to the target (its keys deleted where Redis requires it); false where it did not answer or refused.</summary>
    private static Task<bool> TryReleaseAsync(StoreNode node, int slot, string owner, TimeSpan timeout, CancellationToken cancellation) =>
        TryOnAsync(node, timeout, cancellation, connection => SlotKeys.ReleaseAsync(connection, slot, owner, cancellation));

    private static Task<bool> TryDropAsync(StoreNode node, int slot, string owner, TimeSpan timeout, CancellationToken cancellation) =>
        TryOnAsync(node, timeout, cancellation, async connection =>
            await SlotKeys.DropAsync(connection, await SlotKeys.FamilyAsync(connection, cancellation).ConfigureAwait(false), slot, owner, cancellation).ConfigureAwait(false));

    /// <summary>Work on a node that may be down or refuse; false where it did not answer or refused.</summary>
    private static async Task<bool> TryOnAsync(StoreNode node, TimeSpan timeout, CancellationToken cancellation, Func<RespConnection, Task> work)
    {
        try
        {
            await using var connection = await RespConnection.OpenAsync(node.EndPoint, timeout, cancellation).ConfigureAwait(false);
            await work(connection).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or StoreCommandException)
        {
            return false;
        }
    }

    /// <summary>A command on a node that may be down: recovery does what it can and the next start does the rest. False where the node did not answer or refused.</summary>
    private static async Task<bool> TryAsync(StoreNode node, TimeSpan timeout, CancellationToken cancellation, params object[] command)
    {
        try
        {
            await using var connection = await RespConnection.OpenAsync(node.EndPoint, timeout, cancellation).ConfigureAwait(false);
            return !(await connection.CallAsync(cancellation, command).ConfigureAwait(false)).IsError;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>What recovery did: slots whose moves it finished, slots it rolled back, and slots it found in transit without a journal entry.</summary>
public sealed record RecoveryReport(IReadOnlyList<int> Finished, IReadOnlyList<int> RolledBack, IReadOnlyList<int> Stabilised);
