using Shardcast.Models.Neural;

namespace Shardcast.Models.Tests.Neural;

public class GemmTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(4, 16, 3)]
    [InlineData(5, 17, 9)]
    [InlineData(33, 256, 72)]
    [InlineData(7, 84, 76)]
    [InlineData(13, 5, 31)]
    public void Blocked_product_equals_the_reference_with_and_without_accumulation(int m, int n, int k)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        var a = Fill(random, m * (k + 3));
        var b = Fill(random, k * (n + 2));
        var start = Fill(random, m * (n + 1));
        foreach (bool accumulate in new[] { false, true })
        {
            var fast = (float[])start.Clone();
            var slow = (float[])start.Clone();
            Gemm.Multiply(a, k + 3, b, n + 2, fast, n + 1, m, n, k, accumulate);
            Gemm.MultiplyReference(a, k + 3, b, n + 2, slow, n + 1, m, n, k, accumulate);
            for (int i = 0; i < fast.Length; i++)
            {
                Assert.True(Math.Abs(fast[i] - slow[i]) <= 1e-4f * (1 + Math.Abs(slow[i])), $"[{i}] {fast[i]} vs {slow[i]}");
            }
        }
    }

    [Fact]
    public void Transposed_product_equals_the_reference_on_the_transposed_operand()
    {
        var random = new Random(7);
        int m = 9, n = 24, k = 50;
        var a = Fill(random, k * m);
        var b = Fill(random, k * n);
        var fast = new float[m * n];
        Gemm.MultiplyTransposedA(a, m, b, n, fast, n, m, n, k, accumulate: false, new float[m * k]);
        var transposed = new float[m * k];
        Gemm.Transpose(a, m, k, m, transposed);
        var slow = new float[m * n];
        Gemm.MultiplyReference(transposed, k, b, n, slow, n, m, n, k, accumulate: false);
        for (int i = 0; i < fast.Length; i++)
        {
            Assert.Equal(slow[i], fast[i], 1e-4f);
        }
    }

    [Fact]
    public void Operands_shorter_than_their_shape_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[3], 2, new float[4], 2, new float[4], 2, 2, 2, 2, false));
    }

    private static float[] Fill(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
}
