using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.Bench.DataPlane;

/// <summary>
/// `migration`: what a move costs on each store, Garnet embedded and redis-server side by side. A range of slots is
/// filled with keys through Shardcast's client layer, then moved by the executor between two nodes at each throttle
/// asked for (and back, alternately), while a probe reads and writes keys of those slots at a fixed rate; the same
/// probe runs first with nothing moving. Reported per store and throttle: MB/s and keys/s, the write fence per slot
/// (p50, p99: from the fence step until the gate lifts, so it holds the final copy, the verify and the flip), the
/// probe's read and write latency (p50, p99) idle against during the move, writes refused at a fence; then empty
/// slots moved per second, and the process's memory (peak working set; bytes allocated per slot moved).
/// </summary>
internal static class MigrationBench
{
    public sealed record Settings
    {
        /// <summary>redis-server first: its servers are other processes, so the peak working set read after it is the controller's alone.</summary>
        public IReadOnlyList<string> Stores { get; init; } = ["redis-server", "garnet"];
        public int Slots { get; init; } = 32;
        public int KeysPerSlot { get; init; } = 500;
        public int ValueBytes { get; init; } = 256;
        public IReadOnlyList<double> ThrottlesMBps { get; init; } = [0, 1];
        public int EmptySlots { get; init; } = 512;
        public double ProbeOpsPerSecond { get; init; } = 400;
        public double IdleSeconds { get; init; } = 5;
    }

    private sealed record Row(string Store, double ThrottleMBps, int Slots, long Keys, double MegaBytes, double Seconds, Latency Fence, Latency IdleRead, Latency IdleWrite, Latency MovingRead, Latency MovingWrite, long Refused, double AllocatedPerSlot);

    private sealed record Latency(double P50, double P99, int Count)
    {
        public static Latency Of(List<double> ms)
        {
            if (ms.Count == 0)
            {
                return new Latency(double.NaN, double.NaN, 0);
            }

            ms.Sort();
            return new Latency(ms[(int)(0.50 * (ms.Count - 1))], ms[(int)Math.Ceiling(0.99 * (ms.Count - 1))], ms.Count);
        }

        public override string ToString() => Count == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{P50:0.00} / {P99:0.00}");
    }

    public static async Task<int> RunAsync(Settings settings, TextWriter output)
    {
        var rows = new List<Row>();
        var empties = new List<(string Store, int Slots, double Seconds)>();
        var memory = new List<(string Store, long PeakWorkingSet, long Heap)>();
        output.WriteLine($"migration: {settings.Slots} slots x {settings.KeysPerSlot} keys of {settings.ValueBytes} B, throttles {string.Join(", ", settings.ThrottlesMBps.Select(t => t == 0 ? "none" : $"{t} MB/s"))}, probe {settings.ProbeOpsPerSecond} ops/s; {Environment.ProcessorCount} cores");
        foreach (string kind in settings.Stores)
        {
            if (kind == "redis-server" && RedisServerCluster.FindProgram() is null)
            {
                output.WriteLine("redis-server: skipped, not installed (Debian: apt-get install redis-server)");
                continue;
            }

            await using IFaultableStore started = kind switch
            {
                "garnet" => await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 3 }),
                "redis-server" => await RedisServerCluster.StartAsync(3, TimeSpan.FromSeconds(60)),
                _ => throw new ArgumentException($"--stores: expected garnet or redis-server, found '{kind}'"),
            };
            string journal = Path.Combine(Path.GetTempPath(), $"shardcast-bench-{Guid.NewGuid():N}.journal");
            await using var store = await ManagedStore.TakeOnAsync(kind, started.Store, owner: null, journal);
            try
            {
                rows.AddRange(await MeasureMovesAsync(kind, store, settings));
                empties.Add(await MeasureEmptySlotsAsync(kind, store, settings.EmptySlots));
                using var process = Process.GetCurrentProcess();
                memory.Add((kind, process.PeakWorkingSet64, GC.GetGCMemoryInfo().HeapSizeBytes));
            }
            finally
            {
                File.Delete(journal);
            }
        }

        Print(rows, empties, memory, output);
        return 0;
    }

    private static async Task<List<Row>> MeasureMovesAsync(string kind, ManagedStore store, Settings settings)
    {
        var map = await store.Store.ReadSlotMapAsync();
        var first = map.Owner(0)!;
        var second = map.Nodes.First(n => n.Id != first.Id);
        var range = new SlotRange(0, settings.Slots - 1);
        var keys = Enumerable.Range(0, settings.Slots).SelectMany(slot => Enumerable.Range(0, settings.KeysPerSlot).Select(i => $"{{{HashSlots.TagFor(slot, "b")}}}:{i}")).ToArray();
        string value = new('v', settings.ValueBytes);
        Console.Error.WriteLine($"[{kind}] writing {keys.Length:N0} keys");
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (key, token) => await store.Client.SetAsync(key, value, token));
        double bytes = keys.Sum(k => (double)k.Length + settings.ValueBytes);

        Console.Error.WriteLine($"[{kind}] probing for {settings.IdleSeconds} s with nothing moving");
        var idle = await ProbeAsync(store, keys, value, settings.ProbeOpsPerSecond, () => Task.Delay(TimeSpan.FromSeconds(settings.IdleSeconds)));

        var rows = new List<Row>();
        var (from, to) = (first, second);
        foreach (double throttle in settings.ThrottlesMBps)
        {
            var fenced = new ConcurrentDictionary<int, long>();
            var fences = new List<double>();
            var plan = new MigrationPlan([new RangeMove("bench", range, from.Id, to.Id, bytes, 0)]);
            var options = new ExecutorOptions { MaxConcurrentMoves = 1, BytesPerSecond = throttle * 1e6 };
            var execution = new PlanExecution(store.Store, store.Gate, plan, options, store.Journal)
            {
                BeforeStep = (step, slot) =>
                {
                    if (step == MoveStep.Fence)
                    {
                        fenced[slot] = Stopwatch.GetTimestamp();
                    }
                    else if (step == MoveStep.Cleanup && fenced.TryRemove(slot, out long at))
                    {
                        lock (fences)
                        {
                            fences.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
                        }
                    }

                    return Task.CompletedTask;
                },
            };

            Console.Error.WriteLine($"[{kind}] moving {settings.Slots} slots {from.EndPoint} -> {to.EndPoint} at {(throttle == 0 ? "no throttle" : $"{throttle} MB/s")}");
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            ExecutionReport? report = null;
            var moving = await ProbeAsync(store, keys, value, settings.ProbeOpsPerSecond, async () =>
            {
                execution.Start();
                using var progress = new PeriodicTimer(TimeSpan.FromSeconds(5));
                var done = execution.Completion;
                while (await Task.WhenAny(done, progress.WaitForNextTickAsync().AsTask()) != done)
                {
                    Console.Error.WriteLine($"[{kind}]   {execution.Progress.SlotsMoved}/{settings.Slots} slots, {clock.Elapsed.TotalSeconds:0} s");
                }

                report = await done;
            });
            double seconds = clock.Elapsed.TotalSeconds;
            double perSlot = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)settings.Slots;
            if (report!.Failed.Count > 0 || report.Progress.SlotsMoved != settings.Slots)
            {
                throw new InvalidOperationException($"{kind}: the move did not finish: {report.Progress.SlotsMoved} of {settings.Slots} slots, {string.Join("; ", report.Failed.Select(f => f.Reason))}");
            }

            rows.Add(new Row(kind, throttle, settings.Slots, keys.Length, bytes / 1e6, seconds, Latency.Of(fences), idle.Reads, idle.Writes, moving.Reads, moving.Writes, moving.Refused, perSlot));
            (from, to) = (to, from);
        }

        return rows;
    }

    private static async Task<(string Store, int Slots, double Seconds)> MeasureEmptySlotsAsync(string kind, ManagedStore store, int count)
    {
        var map = await store.Store.ReadSlotMapAsync();
        var ranges = map.Ranges();
        var (node, last) = ranges[^1];
        var target = map.Nodes.First(n => n.Id != node.Id);
        var range = new SlotRange(last.Last - count + 1, last.Last);
        Console.Error.WriteLine($"[{kind}] moving {count} empty slots");
        var plan = new MigrationPlan([new RangeMove("empty", range, node.Id, target.Id, 0, 0)]);
        var clock = Stopwatch.StartNew();
        var report = await new PlanExecution(store.Store, store.Gate, plan, new ExecutorOptions { MaxConcurrentMoves = 1 }, store.Journal).Start().Completion;
        if (report.Progress.SlotsMoved != count)
        {
            throw new InvalidOperationException($"{kind}: {report.Progress.SlotsMoved} of {count} empty slots moved");
        }

        return (kind, count, clock.Elapsed.TotalSeconds);
    }

    private sealed record Probe(Latency Reads, Latency Writes, long Refused);

    /// <summary>Four clients, each reading then writing a random key of the range at a fixed rate, while <paramref name="during"/> runs.</summary>
    private static async Task<Probe> ProbeAsync(ManagedStore store, string[] keys, string value, double opsPerSecond, Func<Task> during)
    {
        const int Clients = 4;
        var reads = new List<double>();
        var writes = new List<double>();
        long refused = 0;
        using var stop = new CancellationTokenSource();
        var interval = TimeSpan.FromSeconds(Clients * 2 / opsPerSecond);
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            while (!stop.IsCancellationRequested)
            {
                string key = keys[random.Next(keys.Length)];
                long start = Stopwatch.GetTimestamp();
                await store.Client.GetAsync(key);
                double read = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                start = Stopwatch.GetTimestamp();
                try
                {
                    await store.Client.SetAsync(key, value, CancellationToken.None);
                    double write = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    lock (writes)
                    {
                        writes.Add(write);
                    }
                }
                catch (SlotMovingException)
                {
                    Interlocked.Increment(ref refused);
                }

                lock (reads)
                {
                    reads.Add(read);
                }

                try
                {
                    await Task.Delay(interval, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        })).ToArray();

        try
        {
            await during();
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }

        return new Probe(Latency.Of(reads), Latency.Of(writes), refused);
    }

    private static void Print(List<Row> rows, List<(string Store, int Slots, double Seconds)> empties, List<(string Store, long PeakWorkingSet, long Heap)> memory, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"{"store",-13} {"throttle",9} {"slots",5} {"keys",7} {"MB",6} {"s",6} {"MB/s",6} {"keys/s",7} {"fence ms p50/p99",17} {"read ms idle",14} {"read ms moving",15} {"write ms idle",14} {"write ms moving",16} {"refused",7} {"alloc/slot",10}");
        foreach (var r in rows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Store,-13} {(r.ThrottleMBps == 0 ? "none" : $"{r.ThrottleMBps} MB/s"),9} {r.Slots,5} {r.Keys,7} {r.MegaBytes,6:0.0} {r.Seconds,6:0.0} {r.MegaBytes / r.Seconds,6:0.00} {r.Keys / r.Seconds,7:0} {r.Fence,17} {r.IdleRead,14} {r.MovingRead,15} {r.IdleWrite,14} {r.MovingWrite,16} {r.Refused,7} {r.AllocatedPerSlot / 1e6,7:0.0} MB"));
        }

        foreach (var (store, slots, seconds) in empties)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{store}: {slots} empty slots moved in {seconds:0.0} s, {slots / seconds:0} slots/s"));
        }

        foreach (var (store, peak, heap) in memory)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after {store}: process peak working set {peak / 1e6:0} MB, managed heap {heap / 1e6:0} MB{(store == "garnet" ? " (the embedded Garnet servers run in this process)" : "")}"));
        }

        output.WriteLine(JsonSerializer.Serialize(new
        {
            moves = rows.Select(r => new
            {
                store = r.Store,
                throttle_mbps = r.ThrottleMBps,
                slots = r.Slots,
                keys = r.Keys,
                mb = Math.Round(r.MegaBytes, 2),
                seconds = Math.Round(r.Seconds, 2),
                mb_per_s = Math.Round(r.MegaBytes / r.Seconds, 3),
                keys_per_s = Math.Round(r.Keys / r.Seconds),
                fence_ms_p50 = Math.Round(r.Fence.P50, 2),
                fence_ms_p99 = Math.Round(r.Fence.P99, 2),
                read_ms_idle = new[] { Math.Round(r.IdleRead.P50, 3), Math.Round(r.IdleRead.P99, 3) },
                read_ms_moving = new[] { Math.Round(r.MovingRead.P50, 3), Math.Round(r.MovingRead.P99, 3) },
                write_ms_idle = new[] { Math.Round(r.IdleWrite.P50, 3), Math.Round(r.IdleWrite.P99, 3) },
                write_ms_moving = new[] { Math.Round(r.MovingWrite.P50, 3), Math.Round(r.MovingWrite.P99, 3) },
                refused = r.Refused,
                allocated_bytes_per_slot = Math.Round(r.AllocatedPerSlot),
            }),
            empty_slots = empties.Select(e => new { store = e.Store, slots = e.Slots, seconds = Math.Round(e.Seconds, 2), per_second = Math.Round(e.Slots / e.Seconds) }),
            memory = memory.Select(m => new { store = m.Store, peak_working_set_bytes = m.PeakWorkingSet, heap_bytes = m.Heap }),
        }));
    }
}
