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

    /// <summary>Asks until the answer meets the condition, and returns that answer.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> ask, Func<T, bool> condition, TimeSpan bound)
    {
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            var value = await ask();
            if (condition(value))
            {
                return value;
            }

            Assert.True(Stopwatch.GetElapsedTime(start) < bound, $"no answer met the condition within {bound.TotalSeconds:0} s; the last: {value}");
            await Task.Delay(100);
        }
    }
}
