using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Layout;

/// <summary>
/// Operations and bytes per hash slot, counted in Shardcast's client layer (neither Redis 7.0 nor Garnet reports
/// traffic per slot). Lock-free: one interlocked add per operation. <see cref="Take"/> reads and resets the counts,
/// so each observation window sees only its own traffic.
/// </summary>
public sealed class SlotTraffic(TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private long[] _operations = new long[HashSlots.Count];
    private long[] _bytes = new long[HashSlots.Count];
    private long _since = (clock ?? TimeProvider.System).GetTimestamp();

    /// <summary>Counts one operation; one that races a <see cref="Take"/> may land in the window just taken, read a moment later or not at all.</summary>
    public void Count(int slot, long bytes)
    {
        Interlocked.Increment(ref Volatile.Read(ref _operations)[slot]);
        Interlocked.Add(ref Volatile.Read(ref _bytes)[slot], bytes);
    }

    /// <summary>The counts since the last take, and the time they cover; the counters start again from zero.</summary>
    public SlotTrafficWindow Take()
    {
        long now = _clock.GetTimestamp();
        var operations = Interlocked.Exchange(ref _operations, new long[HashSlots.Count]);
        var bytes = Interlocked.Exchange(ref _bytes, new long[HashSlots.Count]);
        long since = Interlocked.Exchange(ref _since, now);
        return new SlotTrafficWindow(operations, bytes, _clock.GetElapsedTime(since, now));
    }
}

/// <summary>Operations and bytes per slot over a span of time.</summary>
public sealed record SlotTrafficWindow(long[] Operations, long[] Bytes, TimeSpan Span)
{
    public double OperationsPerSecond(SlotRange range)
    {
        long sum = 0;
        for (int slot = range.First; slot <= range.Last; slot++)
        {
            sum += Operations[slot];
        }

        return Span > TimeSpan.Zero ? sum / Span.TotalSeconds : 0;
    }
}
