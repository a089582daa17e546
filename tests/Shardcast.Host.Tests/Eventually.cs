using System.Diagnostics;

namespace Shardcast.Host.Tests;

/// <summary>Bounded waits for something another thread or process does: every wait ends, and a wait that ends unmet fails naming what did not happen.</summary>
public static class Eventually
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan bound, string what)
    {
        long start = Stopwatch.GetTimestamp();
        while (!condition())
        {
            Assert.True(Stopwatch.GetElapsedTime(start) < bound, $"{what}: not within {bound.TotalSeconds:0} s");
            await Task.Delay(10);
        }
    }
}
