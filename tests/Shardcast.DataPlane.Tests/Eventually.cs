using System.Diagnostics;

namespace Shardcast.DataPlane.Tests;

/// <summary>Bounded waits for what other tasks or nodes do: every wait ends, and one that ends unmet fails naming what did not happen.</summary>
public static class Eventually
{
    public static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        long start = Stopwatch.GetTimestamp();
        while (!await condition().ConfigureAwait(false))
        {
            Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(60), $"{what}: not within 60 s");
            await Task.Delay(20).ConfigureAwait(false);
        }
    }
}
