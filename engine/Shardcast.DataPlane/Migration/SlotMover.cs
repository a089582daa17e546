using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Migration;

/// <summary>
/// Moves one hash slot between two primaries of a Redis-protocol cluster (Garnet, Redis 7+, Valkey) without losing
/// an acknowledged write (docs/data-plane.md). The same steps serve both families: keys are copied with
/// `MIGRATE ... COPY REPLACE KEYS` from a MIGRATING source (Garnet copies only from one; on Redis it makes new keys
/// redirect to the target too, which the gate holds), and a slot's keys on a node that does not own it are dropped
/// the way the family allows (<see cref="SlotKeys.DropAsync"/>). Every step is journalled before it runs. A failure
/// before the flip rolls back: the source is made stable again (it never stopped holding every key), the target's
/// partial copy is deleted where the target still answers, and writes held at the gate go to the source.
/// </summary>
public sealed class SlotMover(StoreCluster store, SlotGate gate, MoveJournal? journal = null, MoverOptions? options = null)
{
    private readonly MoverOptions _options = options ?? new MoverOptions();

    /// <summary>
    /// What the store's commands are given instead of the move's cancellation: a command is never abandoned mid-way. A
    /// SETSLOT or MIGRATE whose reply was abandoned could still run after the rollback's commands on a fresh
    /// connection (the server orders commands per connection only), leaving a slot migrating or keys on a target that
    /// does not own them (found by a cancel: a slot left migrating). Cancellation is observed between commands.
    /// </summary>
    private static readonly CancellationToken Quiet = CancellationToken.None;

    /// <summary>Keys per pipelined batch of the verify and the deletions of a sync.</summary>
    private const int PipelineKeys = 256;

    /// <summary>The journal step of a move rolled back on the source whose target did not answer the rollback.</summary>
    public const string RollbackPendingStep = "rolled_back_target_pending";

    /// <summary>Called just after the target is told it owns the slot, before the journal records it (tests of a controller killed in between).</summary>
    internal Action<int>? AfterTargetFlip { get; init; }

    /// <summary>Called before each step with the step and the slot (fault injection for tests and `chaos`).</summary>
    public Func<MoveStep, int, Task>? BeforeStep { get; init; }

    public async Task<MoveReport> MoveAsync(int slot, StoreNode source, StoreNode target, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        string move = $"{slot}:{source.Id[..8]}->{target.Id[..8]}:{Guid.NewGuid():N}";
        var step = MoveStep.Prepare;
        long copied = 0;
        int rounds = 0;
        await using var from = await RespConnection.OpenAsync(source.EndPoint, _options.CommandTimeout, cancellation).ConfigureAwait(false);
        var family = await SlotKeys.FamilyAsync(from, cancellation).ConfigureAwait(false);
        RespConnection? to = null;
        bool gated = false;
        bool flipSent = false;
        bool flipped = false;
        try
        {
            await EnterAsync(MoveStep.Prepare).ConfigureAwait(false);
            to = await RespConnection.OpenAsync(target.EndPoint, _options.CommandTimeout, cancellation).ConfigureAwait(false);

            // The gate first: once the source is migrating it redirects new keys to the target, and a write that
            // followed such a redirect would live only on the target until the flip (lost if the move rolled back).
            if (!await gate.BeginCopyAsync(slot, _options.DrainTimeout, cancellation).ConfigureAwait(false))
            {
                throw new TimeoutException($"the writes in flight did not drain within {_options.DrainTimeout.TotalSeconds:0.#} s");
            }

            gated = true;
            (await to.CallAsync(Quiet, "CLUSTER", "SETSLOT", slot, "IMPORTING", source.Id).ConfigureAwait(false)).OrThrow($"{target}: CLUSTER SETSLOT {slot} IMPORTING");
            (await from.CallAsync(Quiet, "CLUSTER", "SETSLOT", slot, "MIGRATING", target.Id).ConfigureAwait(false)).OrThrow($"{source}: CLUSTER SETSLOT {slot} MIGRATING");

            await EnterAsync(MoveStep.Copy).ConfigureAwait(false);
            copied += await CopyAsync(from, target, await SlotKeys.ListAsync(from, slot, Quiet).ConfigureAwait(false), cancellation).ConfigureAwait(false);
            for (; rounds < _options.MaxDirtyRounds; rounds++)
            {
                var dirty = gate.TakeDirty(slot);
                copied += await SyncAsync(from, to, target, dirty, cancellation).ConfigureAwait(false);
                if (dirty.Count <= _options.FenceAtDirty)
                {
                    break;
                }
            }

            await EnterAsync(MoveStep.Fence).ConfigureAwait(false);
            if (!await gate.FenceAsync(slot, _options.DrainTimeout, cancellation).ConfigureAwait(false))
            {
                throw new TimeoutException($"the writes in flight did not drain within {_options.DrainTimeout.TotalSeconds:0.#} s");
            }

            await EnterAsync(MoveStep.FinalCopy).ConfigureAwait(false);
            copied += await SyncAsync(from, to, target, gate.TakeDirty(slot), cancellation).ConfigureAwait(false);

            await EnterAsync(MoveStep.Verify).ConfigureAwait(false);
            long verified = await VerifyAsync(from, to, slot, cancellation).ConfigureAwait(false);

            await EnterAsync(MoveStep.Flip).ConfigureAwait(false);
            flipSent = true;
            (await to.CallAsync(CancellationToken.None, "CLUSTER", "SETSLOT", slot, "NODE", target.Id).ConfigureAwait(false)).OrThrow($"{target}: CLUSTER SETSLOT {slot} NODE");
            flipped = true;
            AfterTargetFlip?.Invoke(slot);
            journal?.Record(move, slot, source.Id, target.Id, "flipped");
            var warnings = new List<string>();
            await FinishFlippedAsync(from, move, slot, source, target, family, warnings, EnterAsync).ConfigureAwait(false);
            gated = false;
            return new MoveReport(slot, source, target, copied, verified, rounds, warnings);
        }
        catch (Exception e) when (!flipped && e is not SimulatedCrashException)
        {
            // Only a flip that was sent has an unknown outcome: a cancel observed on entering the flip step, before
            // the command went out, is rolled back like any other (treated as unknown, it left the slot fenced and
            // migrating after the cancel had reported the range taken back).
            if (flipSent && e is not StoreCommandException)
            {
                // The target's SETSLOT NODE got no answer: it may own the slot now, and a rollback would drop the
                // owner's keys. The slot stays fenced (writes wait, then fail retryable, never acknowledged) and the
                // journal open at "flip" until the target answers (SettleFlipAsync) or recovery runs: the move is
                // finished where the target owns the slot, else rolled back.
                throw new MoveFailedException(slot, step, $"the flip's outcome is unknown ({e.Message}); it is settled once the target answers (SettleFlipAsync), or by recovery from the journal", e, rolledBack: false)
                {
                    Flip = (move, source, target),
                };
            }

            await RollBackAsync(move, slot, source, target, family).ConfigureAwait(false);
            if (gated)
            {
                gate.End(slot);
            }

            throw new MoveFailedException(slot, step, e.Message, e);
        }
        finally
        {
            if (to is not null)
            {
                await to.DisposeAsync().ConfigureAwait(false);
            }
        }

        async Task EnterAsync(MoveStep next)
        {
            step = next;
            journal?.Record(move, slot, source.Id, target.Id, next.ToString().ToLowerInvariant());
            if (BeforeStep is { } hook)
            {
                await hook(next, slot).ConfigureAwait(false);
            }

            // After the flip the move rolls forward whatever is asked: a cancel seen on entering the cleanup reported
            // a finished move as cancelled, which then was not taken back with the rest of its range.
            if (!flipped)
            {
                cancellation.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// From the flip on the move rolls forward: the target owns the slot. The source and the other nodes learn it now
    /// (where a call fails they learn it by gossip: the target's configuration epoch is the newest), writes flow again,
    /// and the source's copy is deleted.
    /// </summary>
    private async Task FinishFlippedAsync(RespConnection from, string move, int slot, StoreNode source, StoreNode target, StoreFamily family, List<string> warnings, Func<MoveStep, Task> enter)
    {
        await ReleaseSourceAsync(from, source, slot, target, warnings).ConfigureAwait(false);
        foreach (var node in (await store.ReadSlotMapAsync(target.EndPoint).ConfigureAwait(false)).Nodes.Where(n => n.Id != source.Id && n.Id != target.Id))
        {
            await TellAsync(node, slot, target, warnings, Quiet).ConfigureAwait(false);
        }

        gate.End(slot);
        await enter(MoveStep.Cleanup).ConfigureAwait(false);
        try
        {
            await SlotKeys.DropAsync(from, family, slot, target.Id, Quiet).ConfigureAwait(false);
        }
        catch (StoreCommandException e)
        {
            warnings.Add($"{source}: the source's copy of slot {slot} was not deleted ({e.Message}); it no longer owns the slot, so nothing reads it");
        }

        journal?.Record(move, slot, source.Id, target.Id, "done");
    }

    /// <summary>
    /// Settles a move whose flip got no answer (<see cref="MoveFailedException.RolledBack"/> false) once its target
    /// answers again: where the target owns the slot the move is finished (every node told, the source's copy
    /// deleted), else it is rolled back; either way the gate lets the slot's writes go. Never decided without the
    /// target's answer: a target that was only slow (paused, its link down) may still carry out the queued flip, and
    /// a rollback made meanwhile would leave two owners, the newer the target. Returns true where the move finished,
    /// false where it rolled back, null where the target did not answer within <paramref name="wait"/> (the slot
    /// stays fenced and the journal open: recovery settles it at the next start, or a later call here).
    /// </summary>
    public async Task<bool?> SettleFlipAsync(MoveFailedException unknown, TimeSpan wait, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(unknown);
        if (unknown.RolledBack || unknown.Flip is not { } flip)
        {
            throw new ArgumentException("only a move whose flip got no answer is settled", nameof(unknown));
        }

        var (move, source, target) = flip;
        int slot = unknown.Slot;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool confirmed = false;
        while (true)
        {
            bool? owns = await SlotKeys.OwnsAsync(target, slot, _options.CommandTimeout, cancellation).ConfigureAwait(false);
            if (owns is null)
            {
                confirmed = false;
                if (clock.Elapsed >= wait)
                {
                    return null;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellation).ConfigureAwait(false);
                continue;
            }

            if (owns == false && !confirmed)
            {
                // A paused target may answer a fresh connection before it has read the flip queued on the old one:
                // its "not mine" is believed once it says so again a moment later.
                confirmed = true;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation).ConfigureAwait(false);
                continue;
            }

            await using var from = await RespConnection.OpenAsync(source.EndPoint, _options.CommandTimeout, cancellation).ConfigureAwait(false);
            var family = await SlotKeys.FamilyAsync(from, cancellation).ConfigureAwait(false);
            if (owns == true)
            {
                journal?.Record(move, slot, source.Id, target.Id, "flipped");
                await FinishFlippedAsync(from, move, slot, source, target, family, [], step => BeforeStep?.Invoke(step, slot) ?? Task.CompletedTask).ConfigureAwait(false);
                return true;
            }

            await RollBackAsync(move, slot, source, target, family).ConfigureAwait(false);
            gate.End(slot);
            return false;
        }
    }

    private async Task RollBackAsync(string move, int slot, StoreNode source, StoreNode target, StoreFamily family)
    {
        // The source never stopped holding every key: making it stable again is what keeps the data. Its connection
        // is opened afresh where the failure may have broken it mid-reply.
        await using (var fresh = await RespConnection.OpenAsync(source.EndPoint, _options.CommandTimeout).ConfigureAwait(false))
        {
            (await fresh.CallAsync("CLUSTER", "SETSLOT", slot, "STABLE").ConfigureAwait(false)).OrThrow($"{source}: CLUSTER SETSLOT {slot} STABLE (rollback)");
        }

        string outcome = "rolled_back";
        try
        {
            await using var stale = await RespConnection.OpenAsync(target.EndPoint, _options.CommandTimeout).ConfigureAwait(false);
            await SlotKeys.DropAsync(stale, family, slot, source.Id, CancellationToken.None).ConfigureAwait(false);
            (await stale.CallAsync("CLUSTER", "SETSLOT", slot, "STABLE").ConfigureAwait(false)).OrThrow($"{target}: CLUSTER SETSLOT {slot} STABLE (rollback)");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or StoreCommandException)
        {
            // A target that does not answer (dead, or hung) may come back holding the partial copy and the slot
            // importing, and stale keys there could come back to life in a later move to it: the journal keeps the
            // move open until recovery has dropped them (MoveRecovery).
            outcome = RollbackPendingStep;
        }

        journal?.Record(move, slot, source.Id, target.Id, outcome);
    }

    /// <summary>
    /// The source gives the slot up while writes are still fenced: a source that kept it (Redis refuses SETSLOT NODE
    /// while it holds keys) would serve writes after the fence lifts that gossip deletes when it learns the owner.
    /// </summary>
    private static async Task ReleaseSourceAsync(RespConnection from, StoreNode source, int slot, StoreNode target, List<string> warnings)
    {
        try
        {
            await SlotKeys.ReleaseAsync(from, slot, target.Id, Quiet).ConfigureAwait(false);
        }
        catch (StoreCommandException e)
        {
            warnings.Add($"{source}: did not give slot {slot} up ({e.Message}); it learns the owner by gossip");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            warnings.Add($"{source}: not told that {target} owns slot {slot} ({e.Message}); it learns it by gossip");
        }
    }

    private async Task TellAsync(StoreNode node, int slot, StoreNode target, List<string> warnings, CancellationToken cancellation)
    {
        try
        {
            await using var connection = await RespConnection.OpenAsync(node.EndPoint, _options.CommandTimeout, cancellation).ConfigureAwait(false);
            var reply = await connection.CallAsync(Quiet, "CLUSTER", "SETSLOT", slot, "NODE", target.Id).ConfigureAwait(false);
            if (reply.IsError)
            {
                warnings.Add($"{node}: CLUSTER SETSLOT {slot} NODE: {reply.Text} (it learns the owner by gossip)");
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            warnings.Add($"{node}: not told that {target} owns slot {slot} ({e.Message}); it learns it by gossip");
        }
    }

    /// <summary>
    /// Brings dirty keys to the target as the source has them: copied where the source holds them, deleted on the
    /// target where it does not (deleted during the copy, after an earlier round had copied them: chaos found a
    /// deletion that came back when only the final round deleted). A migrating source answers ASK for a key it lacks.
    /// </summary>
    private async Task<long> SyncAsync(RespConnection from, RespConnection to, StoreNode target, IReadOnlyCollection<string> keys, CancellationToken cancellation)
    {
        long copied = await CopyAsync(from, target, keys, cancellation).ConfigureAwait(false);
        foreach (var batch in keys.Chunk(PipelineKeys))
        {
            cancellation.ThrowIfCancellationRequested();
            var exists = await from.PipelineAsync([.. batch.Select(key => new object[] { "EXISTS", key })], Quiet).ConfigureAwait(false);
            var gone = batch.Where((_, i) => exists[i].IsError).ToList();
            if (gone.Count == 0)
            {
                continue;
            }

            var deleted = await to.PipelineAsync([.. gone.SelectMany(key => new object[][] { ["ASKING"], ["DEL", key] })], Quiet).ConfigureAwait(false);
            for (int i = 0; i < deleted.Length; i++)
            {
                deleted[i].OrThrow($"{target}: {(i % 2 == 0 ? "ASKING" : $"DEL {gone[i / 2]}")}");
            }
        }

        return copied;
    }

    /// <summary>Copies keys in batches (MIGRATE ... COPY REPLACE KEYS); keys the source no longer holds are skipped by the server.</summary>
    private async Task<long> CopyAsync(RespConnection from, StoreNode target, IReadOnlyCollection<string> keys, CancellationToken cancellation)
    {
        foreach (var batch in keys.Chunk(_options.BatchKeys))
        {
            cancellation.ThrowIfCancellationRequested();
            object[] command = ["MIGRATE", target.EndPoint.Address.ToString(), target.EndPoint.Port, "", 0, (long)_options.CommandTimeout.TotalMilliseconds, "COPY", "REPLACE", "KEYS", .. batch];
            var reply = await from.CallAsync(Quiet, command).ConfigureAwait(false);
            if (reply.IsError && !reply.Text.StartsWith("NOKEY", StringComparison.Ordinal))
            {
                throw new StoreCommandException($"{from.EndPoint}: MIGRATE of {batch.Length} keys to {target}: {reply.Text}");
            }
        }

        return keys.Count;
    }

    /// <summary>Every key the source holds is on the target with the same value (strings compared byte for byte).</summary>
    private static async Task<long> VerifyAsync(RespConnection from, RespConnection to, int slot, CancellationToken cancellation)
    {
        // Pipelined both ways: the verify runs under the fence, so its round trips are the slot's write pause
        // (one GET at a time held a slot of 500 keys fenced for about 100 ms).
        var keys = await SlotKeys.ListAsync(from, slot, Quiet).ConfigureAwait(false);
        foreach (var batch in keys.Chunk(PipelineKeys))
        {
            cancellation.ThrowIfCancellationRequested();
            var there = await from.PipelineAsync([.. batch.Select(key => new object[] { "GET", key })], Quiet).ConfigureAwait(false);
            var here = await to.PipelineAsync([.. batch.SelectMany(key => new object[][] { ["ASKING"], ["GET", key] })], Quiet).ConfigureAwait(false);
            for (int i = 0; i < batch.Length; i++)
            {
                there[i].OrThrow($"{from.EndPoint}: GET {batch[i]}");
                here[2 * i].OrThrow($"{to.EndPoint}: ASKING");
                var copy = here[(2 * i) + 1].OrThrow($"{to.EndPoint}: GET {batch[i]}");
                if (copy.IsNil || !(there[i].Bytes ?? []).AsSpan().SequenceEqual(copy.Bytes ?? []))
                {
                    throw new InvalidDataException($"key '{batch[i]}' differs on the target after the final copy");
                }
            }
        }

        return keys.Count;
    }
}

/// <summary>What a finished move did.</summary>
public sealed record MoveReport(int Slot, StoreNode Source, StoreNode Target, long KeysCopied, long KeysVerified, int DirtyRounds, IReadOnlyList<string> Warnings);
