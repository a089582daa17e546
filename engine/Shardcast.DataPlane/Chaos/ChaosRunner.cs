using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Chaos;

/// <summary>
/// Randomised schedules against a store Shardcast started: in each, one slot is preloaded and moved from its owner
/// to another node while writers update and delete its keys and create new ones, and readers read them; a fault
/// drawn from the schedule's seed strikes at a step drawn too (cancel, a mover command failing, the controller dying
/// with recovery from the journal, the target dying). Then the checker reads every key back against its last
/// acknowledged value and looks for slots left in transit. The choices come from the seed and the schedule's number
/// (`--seed S` and the schedule reproduce them); the interleaving of writers and mover is the machine's.
/// </summary>
public sealed class ChaosRunner(Func<Task<IFaultableStore>> startStore, ChaosOptions options, IProgress<string>? progress = null)
{
    /// <summary>The steps a fault strikes on entering: every one up to the flip, whose command a fault there may keep from being sent or answered.</summary>
    private static readonly MoveStep[] FaultSteps = [MoveStep.Prepare, MoveStep.Copy, MoveStep.Fence, MoveStep.FinalCopy, MoveStep.Verify, MoveStep.Flip];

    public async Task<ChaosReport> RunAsync(CancellationToken cancellation = default)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var tally = new Tally();
        IFaultableStore? store = null;
        try
        {
            for (int schedule = 0; schedule < options.Schedules; schedule++)
            {
                cancellation.ThrowIfCancellationRequested();
                store ??= await startStore().ConfigureAwait(false);
                bool storeDamaged = await RunScheduleAsync(store, schedule, tally, cancellation).ConfigureAwait(false);
                if (storeDamaged)
                {
                    await store.DisposeAsync().ConfigureAwait(false);
                    store = null;
                }

                if ((schedule + 1) % 10 == 0 || schedule + 1 == options.Schedules)
                {
                    progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{schedule + 1}/{options.Schedules} schedules, {tally.Faults} faults, {tally.Finished} moves finished, {tally.RolledBack} rolled back, lost {tally.Lost}, stale {tally.Stale}, stuck {tally.Stuck}, {clock.Elapsed.TotalSeconds:0} s"));
                }
            }
        }
        finally
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }
        }

        return new ChaosReport(options.Schedules, tally.Faults, tally.Moves, tally.Finished, tally.RolledBack, tally.Lost, tally.Stale, tally.Stuck, tally.Writes, tally.Reads,
            new Dictionary<string, int>(tally.ByKind), [.. tally.Failures], clock.Elapsed);
    }

    /// <summary>
    /// The slot map once every slot has an owner in it. A node restarted by the schedule before (redis-server's, after a
    /// kill) answers from its own view, which can lack slots until gossip reaches it; CI's run read such a map and
    /// found no owner for the slot it drew. A map still uncovered after 30 s is a store left broken: said so.
    /// </summary>
    private static async Task<SlotMap> CoveredSlotMapAsync(IFaultableStore store, CancellationToken cancellation)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var map = await store.Store.ReadSlotMapAsync().ConfigureAwait(false);
            if (map.Covered)
            {
                return map;
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                int unowned = Enumerable.Range(0, HashSlots.Count).Count(slot => map.Owner(slot) is null);
                throw new InvalidOperationException($"the store's slot map still leaves {unowned} slots without an owner 30 s after the last schedule");
            }

            await Task.Delay(100, cancellation).ConfigureAwait(false);
        }
    }

    /// <returns>Whether the store lost a node and must be replaced.</returns>
    private async Task<bool> RunScheduleAsync(IFaultableStore store, int schedule, Tally tally, CancellationToken cancellation)
    {
        var random = new Random(Mix(options.Seed, schedule, 0));
        var faults = Enum.GetValues<ChaosFault>().Where(f => f != ChaosFault.HangTarget || store.CanHang).ToArray();
        var fault = faults[random.Next(faults.Length)];
        var faultAt = FaultSteps[random.Next(FaultSteps.Length)];
        var map = await CoveredSlotMapAsync(store, cancellation).ConfigureAwait(false);
        int slot = random.Next(HashSlots.Count);
        var source = map.Owner(slot)!;
        var target = map.Nodes.Where(n => n.Id != source.Id).ElementAt(random.Next(map.Nodes.Count - 1));
        string tag = HashSlots.TagFor(slot, $"c{schedule}x");
        string Key(int i) => $"{{{tag}}}:{i}";

        var gate = new SlotGate();
        var client = new GatedClient(store.Store.Data.GetDatabase(), gate);
        for (int i = 0; i < options.Keys; i++)
        {
            await client.SetAsync(Key(i), Value(schedule, -1, 0), cancellation).ConfigureAwait(false);
        }

        // Each key's last acknowledged write: the value, or null for a deletion; versions grow per key.
        var acknowledged = new ConcurrentDictionary<string, (string? Value, long Version)>(StringComparer.Ordinal);
        for (int i = 0; i < options.Keys; i++)
        {
            acknowledged[Key(i)] = (Value(schedule, -1, 0), 0);
        }

        using var stop = new CancellationTokenSource();
        long writes = 0, reads = 0, stale = 0;
        var writers = Enumerable.Range(0, options.Writers).Select(w => Task.Run(async () =>
        {
            var own = new Random(Mix(options.Seed, schedule, 1 + w));
            for (long n = 1; !stop.IsCancellationRequested; n++)
            {
                int i = (own.Next(options.Keys * 3 / 2 / options.Writers + 1) * options.Writers) + w;
                bool delete = own.Next(10) == 0;
                string value = Value(schedule, w, n);
                try
                {
                    if (delete)
                    {
                        await client.DeleteAsync(Key(i), CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await client.SetAsync(Key(i), value, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is SlotMovingException or StackExchange.Redis.RedisException or TimeoutException)
                {
                    // Refused or failed, so never acknowledged: the key keeps its last acknowledged value.
                    continue;
                }

                acknowledged[Key(i)] = (delete ? null : value, n);
                Interlocked.Increment(ref writes);
            }
        })).ToArray();
        var readers = Enumerable.Range(0, options.Readers).Select(r => Task.Run(async () =>
        {
            var own = new Random(Mix(options.Seed, schedule, 1000 + r));
            while (!stop.IsCancellationRequested)
            {
                string key = Key(own.Next(options.Keys * 3 / 2));
                var before = acknowledged.TryGetValue(key, out var known) ? known : (null, -1);
                string? read;
                try
                {
                    read = await client.GetAsync(key).ConfigureAwait(false);
                }
                catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
                {
                    continue;
                }

                Interlocked.Increment(ref reads);
                // A missing key may have been deleted after the snapshot: only values are compared.
                if (read is not null && before.Version > 0 && before.Value is not null && VersionOf(read) < before.Version && WriterOf(read) == WriterOf(before.Value))
                {
                    Interlocked.Increment(ref stale);
                }
            }
        })).ToArray();

        await Task.Delay(20, cancellation).ConfigureAwait(false);
        string journalPath = Path.Combine(options.Folder, $"chaos-{options.Seed}-{schedule}-{Environment.ProcessId}.journal");
        var journal = new MoveJournal(journalPath);
        using var cancelMove = new CancellationTokenSource();
        bool damaged = false;
        int hung = -1;
        var mover = new SlotMover(store.Store, gate, journal, new MoverOptions { BatchKeys = 64, CommandTimeout = TimeSpan.FromSeconds(3), DrainTimeout = TimeSpan.FromSeconds(3) })
        {
            BeforeStep = (step, _) =>
            {
                if (step != faultAt)
                {
                    return Task.CompletedTask;
                }

                switch (fault)
                {
                    case ChaosFault.Cancel:
                        cancelMove.Cancel();
                        break;
                    case ChaosFault.MoverError:
                        throw new IOException($"injected: the mover's command failed at {step}");
                    case ChaosFault.ControllerCrash:
                        throw new SimulatedCrashException(step);
                    case ChaosFault.KillTarget:
                        store.Kill(store.EndPoints.ToList().FindIndex(e => e.Equals(target.EndPoint)));
                        damaged = true;
                        break;
                    case ChaosFault.HangTarget:
                        hung = store.EndPoints.ToList().FindIndex(e => e.Equals(target.EndPoint));
                        store.Hang(hung);
                        break;
                }

                return Task.CompletedTask;
            },
        };

        bool finished = false;
        string warnings = "";
        MoveFailedException? unknownFlip = null;
        try
        {
            var moved = await mover.MoveAsync(slot, source, target, cancelMove.Token).ConfigureAwait(false);
            warnings = string.Join("; ", moved.Warnings);
            finished = true;
        }
        catch (MoveFailedException e) when (!e.RolledBack && e.Flip is not null)
        {
            // The target was killed or paused as the flip was sent: settled below, once it answers or is known dead.
            unknownFlip = e;
        }
        catch (MoveFailedException)
        {
        }
        catch (SimulatedCrashException)
        {
            // The controller restarts and recovers from the journal. The writers' client layer outlived it, so its
            // gate still holds the slot's new-key writes; it lets them go only once recovery has settled where the
            // slot lives (a write let go earlier would follow the source's redirect to a target about to be emptied).
            var recovered = await MoveRecovery.RecoverAsync(store.Store, new MoveJournal(journalPath), TimeSpan.FromSeconds(3), cancellation).ConfigureAwait(false);
            gate.End(slot);
            finished = recovered.Finished.Contains(slot);
        }

        if (hung >= 0)
        {
            // The target goes on holding its partial copy and the slot importing; recovery, which the journal kept
            // the move open for, drops them. A redis-server just resumed can take longer than recovery's command
            // timeout to answer (it works through what queued while it was stopped: a CI run left slot 4611
            // importing so); recovery then keeps the move open, and runs again, as a controller's next pass would,
            // until the journal has closed it.
            store.Resume(hung);
            bool? settled = null;
            if (unknownFlip is not null)
            {
                // The resumed target carries out the queued flip or it does not: the executor's settlement asks it.
                settled = await mover.SettleFlipAsync(unknownFlip, TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
            }

            var settling = Stopwatch.StartNew();
            var resumed = new MoveJournal(journalPath);
            await MoveRecovery.RecoverAsync(store.Store, resumed, TimeSpan.FromSeconds(3), cancellation).ConfigureAwait(false);
            while (resumed.LastSteps().Any(e => e.Step is not ("done" or "rolled_back")) && settling.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(200, cancellation).ConfigureAwait(false);
                await MoveRecovery.RecoverAsync(store.Store, resumed, TimeSpan.FromSeconds(3), cancellation).ConfigureAwait(false);
            }

            if (unknownFlip is not null)
            {
                finished = settled == true || (settled is null && resumed.LastSteps().Any(e => e.Slot == slot && e.Step == "done"));
                gate.End(slot);
            }
        }
        else if (unknownFlip is not null)
        {
            // A killed target never answers: the executor's wait for it runs out, and the slot is settled as a
            // controller's next start would, by recovery from the journal (the dead target owns nothing).
            bool? settled = await mover.SettleFlipAsync(unknownFlip, TimeSpan.FromSeconds(1), cancellation).ConfigureAwait(false);
            if (settled is null)
            {
                var recovered = await MoveRecovery.RecoverAsync(store.Store, new MoveJournal(journalPath), TimeSpan.FromSeconds(3), cancellation).ConfigureAwait(false);
                gate.End(slot);
                finished = recovered.Finished.Contains(slot);
            }
            else
            {
                finished = settled.Value;
            }
        }

        await Task.Delay(20, cancellation).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(writers.Concat(readers)).ConfigureAwait(false);

        // The checker: every key's last acknowledged value (or its absence) is read back from wherever the slot lives.
        long lost = 0;
        string? firstLoss = null;
        foreach (var (key, (value, _)) in acknowledged)
        {
            string? read = await ReadWithRetryAsync(client, key, cancellation).ConfigureAwait(false);
            if (read != value)
            {
                lost++;
                firstLoss ??= $"{key}: acknowledged {value ?? "(deleted)"}, read {read ?? "nothing"}";
            }
        }

        int stuck = 0;
        var stuckWhere = new List<string>();
        for (int n = 0; n < store.EndPoints.Count; n++)
        {
            try
            {
                var inTransit = (await store.Store.ReadSlotMapAsync(store.EndPoints[n]).ConfigureAwait(false)).InTransit;
                stuck += inTransit.Count;
                stuckWhere.AddRange(inTransit.Select(s => $"{store.EndPoints[n]}: slot {s.Key} {s.Value.From[..8]}->{s.Value.To[..8]}"));
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                // A node this schedule killed has no slot state to report.
            }
        }

        File.Delete(journalPath);
        tally.Add(fault, finished, lost, stale, stuck, writes, reads);
        if (lost > 0 || stale > 0 || stuck > 0)
        {
            tally.Failures.Add($"seed {options.Seed} schedule {schedule}: {fault} at {faultAt.ToString().ToLowerInvariant()}, slot {slot} {source} -> {target}: {lost} lost, {stale} stale, {stuck} stuck{(firstLoss is null ? "" : $" (first: {firstLoss})")}{(stuckWhere.Count == 0 ? "" : $"; in transit: {string.Join(", ", stuckWhere)}")}{(warnings.Length == 0 ? "" : $"; the move's warnings: {warnings}")}");
        }

        return damaged;
    }

    private static async Task<string?> ReadWithRetryAsync(GatedClient client, string key, CancellationToken cancellation)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await client.GetAsync(key).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < 100 && e is StackExchange.Redis.RedisException or TimeoutException)
            {
                // The client may still be learning where the slot lives after a flip or a rollback.
                await Task.Delay(100, cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A seed for one schedule's (and one worker's) draws from the run's seed: SplitMix64's finaliser, so the same
    /// seed and schedule draw the same choices in every process (HashCode.Combine is salted per process).
    /// </summary>
    internal static int Mix(ulong seed, int schedule, int stream)
    {
        ulong z = seed + (0x9E3779B97F4A7C15UL * (ulong)(schedule + 1)) + (0xD1B54A32D192ED03UL * (ulong)(stream + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    private static string Value(int schedule, int writer, long version) => $"s{schedule}-w{writer}-{version}";

    private static long VersionOf(string? value) =>
        value is not null && long.TryParse(value[(value.LastIndexOf('-') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long version) ? version : -1;

    private static string? WriterOf(string? value) => value?[..value.LastIndexOf('-')];

    private sealed class Tally
    {
        private readonly Lock _lock = new();

        public int Faults { get; private set; }

        public int Moves { get; private set; }

        public int Finished { get; private set; }

        public int RolledBack { get; private set; }

        public long Lost { get; private set; }

        public long Stale { get; private set; }

        public int Stuck { get; private set; }

        public long Writes { get; private set; }

        public long Reads { get; private set; }

        public ConcurrentDictionary<string, int> ByKind { get; } = new(StringComparer.Ordinal);

        public ConcurrentBag<string> Failures { get; } = [];

        public void Add(ChaosFault fault, bool finished, long lost, long stale, int stuck, long writes, long reads)
        {
            lock (_lock)
            {
                Moves++;
                Faults += fault == ChaosFault.None ? 0 : 1;
                Finished += finished ? 1 : 0;
                RolledBack += finished ? 0 : 1;
                Lost += lost;
                Stale += stale;
                Stuck += stuck;
                Writes += writes;
                Reads += reads;
                ByKind.AddOrUpdate(fault.ToString().ToLowerInvariant(), 1, (_, n) => n + 1);
            }
        }
    }
}
