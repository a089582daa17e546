using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Tests;

public class NodeTermsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(33)]
    [InlineData(48)]
    public void Delta_VectorPath_MatchesScalarReference_AtEveryTailSize(int length)
    {
        var rng = new CounterRng(42, (ulong)length);
        float[] Row(double scale) => Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * scale)).ToArray();
        var load = Row(1.5);
        var change = Row(0.3);
        var capacity = Row(1).Select(c => c + 0.5f).ToArray();
        var inverse = capacity.Select(c => 1 / c).ToArray();
        var target = capacity.Select(c => 0.6f * c).ToArray();
        var headroom = capacity.Select(c => 0.8f * c).ToArray();
        foreach (float sign in new[] { -1f, 1f })
        {
            float scalar = NodeTerms.DeltaScalar(load, change, sign, capacity, inverse, target, headroom, 1, 10, 1e4f);
            float vector = NodeTerms.Delta(load, change, sign, capacity, inverse, target, headroom, 1, 10, 1e4f);
            Assert.Equal(scalar, vector, Math.Max(1e-3f, Math.Abs(scalar) * 1e-5f));
        }
    }

    [Fact]
    public void Delta_OfRemovingAndAddingTheSameLoad_IsZero()
    {
        float[] load = [0.5f, 0.9f, 1.2f, 0.1f, 0.3f, 0.7f, 0.95f, 1.05f];
        float[] zero = new float[8];
        float[] ones = Enumerable.Repeat(1f, 8).ToArray();
        float[] target = Enumerable.Repeat(0.6f, 8).ToArray();
        float[] headroom = Enumerable.Repeat(0.8f, 8).ToArray();
        Assert.Equal(0f, NodeTerms.Delta(load, zero, 1, ones, ones, target, headroom, 1, 10, 1e4f));
    }
}
