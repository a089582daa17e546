namespace Shardcast.Tests;

/// <summary>
/// A clock tests move by hand (<see cref="Advance"/>), or that moves by a fixed tick each time it is read. Its timers
/// (what CancellationTokenSource and Task.Delay use when given this clock) fire when the clock passes their due time.
/// </summary>
public sealed class ManualClock(TimeSpan tick = default) : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        long now = Interlocked.Add(ref _ticks, tick.Ticks);
        if (tick > TimeSpan.Zero)
        {
            FireDue(now);
        }

        return now;
    }

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(GetTimestamp());

    public void Advance(TimeSpan by) => FireDue(Interlocked.Add(ref _ticks, by.Ticks));

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void FireDue(long now)
    {
        List<ManualTimer> due;
        lock (_lock)
        {
            due = [.. _timers.Where(t => t.Due <= now)];
            foreach (var timer in due)
            {
                if (timer.Period > 0)
                {
                    timer.Due = now + timer.Period;
                }
                else
                {
                    _timers.Remove(timer);
                }
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public long Due { get; set; }

        public long Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                clock._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                Due = Interlocked.Read(ref clock._ticks) + dueTime.Ticks;
                Period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                clock._timers.Add(this);
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._lock)
            {
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
