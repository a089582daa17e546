using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Tests.Random;

public class CounterRngTests
{
    [Fact]
    public void Draws_AreAPureFunctionOfSeedStreamAndCounter()
    {
        var a = new CounterRng(5, 3);
        for (int i = 0; i < 100; i++)
        {
            a.NextUInt64();
        }

        var resumed = new CounterRng(5, 3, a.Counter);
        Assert.Equal(a.NextUInt64(), resumed.NextUInt64());
        Assert.NotEqual(new CounterRng(5, 3).NextUInt64(), new CounterRng(5, 4).NextUInt64());
        Assert.NotEqual(new CounterRng(5, 3).NextUInt64(), new CounterRng(6, 3).NextUInt64());
    }

    [Fact]
    public void NextInt_IsUniformEnough_ForProposals()
    {
        var rng = new CounterRng(1, 1);
        var counts = new int[10];
        const int draws = 200_000;
        for (int i = 0; i < draws; i++)
        {
            counts[rng.NextInt(10)]++;
        }

        // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
        double chi = counts.Sum(c => Math.Pow(c - (draws / 10.0), 2) / (draws / 10.0));
        Assert.True(chi < 27.9, $"chi-square {chi}");
        Assert.All(Enumerable.Range(0, 1000).Select(_ => rng.NextFloat()), f => Assert.InRange(f, 0f, 0.99999995f));
    }
}
