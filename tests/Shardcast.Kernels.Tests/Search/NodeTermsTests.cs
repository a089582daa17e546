using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

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

    [Theory]
    [InlineData(8)]
    [InlineData(24)]
    [InlineData(48)]
    [InlineData(12)]
    [InlineData(5)]
    public void PairDelta_OfTwoRows_MatchesTwoScalarDeltas(int length)
    {
        var rng = new CounterRng(9, (ulong)length);
        float[] Row(double scale, double offset = 0) => Enumerable.Range(0, length).Select(_ => (float)(offset + (rng.NextDouble() * scale))).ToArray();
        var loadA = Row(1.5);
        var loadB = Row(1.5);
        var change = Row(0.3);
        var capA = Row(1, 0.5);
        var capB = Row(1, 0.5);
        var invA = capA.Select(c => 1 / c).ToArray();
        var invB = capB.Select(c => 1 / c).ToArray();
        var tA = capA.Select(c => 0.6f * c).ToArray();
        var tB = capB.Select(c => 0.6f * c).ToArray();
        var hA = capA.Select(c => 0.8f * c).ToArray();
        var hB = capB.Select(c => 0.8f * c).ToArray();
        float expected = NodeTerms.DeltaScalar(loadA, change, -1, capA, invA, tA, hA, 1, 10, 1e4f)
            + NodeTerms.DeltaScalar(loadB, change, 1, capB, invB, tB, hB, 1, 10, 1e4f);
        float fused = NodeTerms.PairDelta(ref loadA[0], ref loadB[0], ref change[0], -1, ref capA[0], ref invA[0], ref tA[0], ref hA[0],
            ref capB[0], ref invB[0], ref tB[0], ref hB[0], length, 1, 10, 1e4f);
        Assert.Equal(expected, fused, Math.Max(1e-3f, Math.Abs(expected) * 1e-5f));
    }

    [Fact]
    public void Delta_OfRemovingWhatWasAdded_UndoesTheAddition()
    {
        // Adding a partition's row to a node and then removing it from the node that results must cost opposite
        // amounts, on every lane kind: under the target, between target and headroom, and over capacity.
        float[] load = [0.5f, 0.9f, 1.2f, 0.1f, 0.3f, 0.7f, 0.95f, 1.05f, 0.2f];
        float[] change = [0.1f, 0.05f, 0.3f, 0.6f, 0f, 0.2f, 0.1f, 0.02f, 0.9f];
        float[] ones = Enumerable.Repeat(1f, load.Length).ToArray();
        float[] target = Enumerable.Repeat(0.6f, load.Length).ToArray();
        float[] headroom = Enumerable.Repeat(0.8f, load.Length).ToArray();
        float[] after = load.Zip(change, (l, c) => l + c).ToArray();
        float added = NodeTerms.Delta(load, change, 1, ones, ones, target, headroom, 1, 10, 1e4f);
        float removed = NodeTerms.Delta(after, change, -1, ones, ones, target, headroom, 1, 10, 1e4f);
        Assert.True(added > 0, "the row pushes lanes over the headroom and capacity: adding it must cost something");
        Assert.Equal(-added, removed, Math.Max(1e-3f, Math.Abs(added) * 1e-5f));
        Assert.Equal(NodeTerms.DeltaScalar(load, change, 1, ones, ones, target, headroom, 1, 10, 1e4f), added, Math.Max(1e-3f, Math.Abs(added) * 1e-5f));
    }
}
