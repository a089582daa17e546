using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Search;

public class PeakOrderTests
{
    [Fact]
    public void After_any_updates_the_order_is_a_full_sort_hottest_first_ties_by_index()
    {
        var random = new System.Random(5);
        const int nodes = 300;
        // Few distinct values, so ties are common (empty nodes all peak at zero).
        var peaks = Enumerable.Range(0, nodes).Select(_ => random.Next(12) / 4f).ToArray();
        var order = new PeakOrder(peaks);
        for (int step = 0; step < 5000; step++)
        {
            int node = random.Next(nodes);
            peaks[node] = random.Next(3) == 0 ? 0f : random.Next(12) / 4f;
            order.Update(node, peaks[node]);
            if (step % 97 == 0)
            {
                var expected = Enumerable.Range(0, nodes).OrderByDescending(n => peaks[n]).ThenBy(n => n).ToArray();
                Assert.Equal(expected, Enumerable.Range(0, nodes).Select(rank => order[rank]).ToArray());
            }
        }
    }
}
