namespace Shardcast.DataPlane.Execution;

/// <summary>
/// Keeps bytes sent at or under a rate on average: each send reserves its bytes' share of time after the last
/// reservation and waits until its share begins. A send that arrives after an idle spell starts at once (no credit is
/// saved up, so no burst follows a pause).
/// </summary>
public sealed class ByteThrottle(double bytesPerSecond, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private DateTimeOffset _free = DateTimeOffset.MinValue;

    public double BytesPerSecond { get; } = bytesPerSecond >= 0 && double.IsFinite(bytesPerSecond)
        ? bytesPerSecond
        : throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "a rate is finite and not negative (0: no limit)");

    /// <summary>How long a send of <paramref name="bytes"/> must wait now, reserving its share.</summary>
    public TimeSpan Reserve(double bytes)
    {
        if (BytesPerSecond == 0 || bytes <= 0)
        {
            return TimeSpan.Zero;
        }

        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            var start = _free > now ? _free : now;
            _free = start + TimeSpan.FromSeconds(bytes / BytesPerSecond);
            return start - now;
        }
    }

    public Task WaitAsync(double bytes, CancellationToken cancellation)
    {
        var wait = Reserve(bytes);
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, _clock, cancellation);
    }
}
