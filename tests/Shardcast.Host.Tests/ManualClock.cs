namespace Shardcast.Host.Tests;

/// <summary>A clock tests move by hand, or that moves by a fixed tick each time it is read.</summary>
public sealed class ManualClock(TimeSpan tick = default) : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Add(ref _ticks, tick.Ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
