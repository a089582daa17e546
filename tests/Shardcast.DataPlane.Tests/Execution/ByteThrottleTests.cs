using Shardcast.DataPlane.Execution;
using Shardcast.Tests;

namespace Shardcast.DataPlane.Tests.Execution;

public class ByteThrottleTests
{
    [Fact]
    public void Sends_are_spaced_so_that_the_average_rate_stays_at_the_limit()
    {
        var clock = new ManualClock();
        var throttle = new ByteThrottle(1_000_000, clock);
        Assert.Equal(TimeSpan.Zero, throttle.Reserve(500_000));
        Assert.Equal(TimeSpan.FromSeconds(0.5), throttle.Reserve(250_000));
        Assert.Equal(TimeSpan.FromSeconds(0.75), throttle.Reserve(1_000_000));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(0.75), throttle.Reserve(1));
    }

    [Fact]
    public void An_idle_spell_saves_up_no_burst()
    {
        var clock = new ManualClock();
        var throttle = new ByteThrottle(100, clock);
        throttle.Reserve(100);
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.Zero, throttle.Reserve(100));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Reserve(100));
    }

    [Fact]
    public void No_limit_never_waits_and_a_bad_rate_is_refused()
    {
        Assert.Equal(TimeSpan.Zero, new ByteThrottle(0).Reserve(1e12));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteThrottle(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByteThrottle(double.NaN));
    }
}
