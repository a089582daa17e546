using System.Net;
using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Layout;

/// <summary>Hot ranges cut at their load-weighted midpoint, the heaviest first, until none is above the limit.</summary>
public sealed class SplitHotTests
{
    private static readonly StoreNode A = new("a0000000", new IPEndPoint(IPAddress.Loopback, 7000));
    private static readonly StoreNode B = new("b0000000", new IPEndPoint(IPAddress.Loopback, 7001));

    [Fact]
    public void A_hot_range_is_cut_where_its_load_halves_until_no_part_is_above_the_limit()
    {
        // Slots 10-19 carry 100 each; the rest nothing.
        double Load(int slot) => slot is >= 10 and <= 19 ? 100 : 0;
        var cut = StorePartition.SplitHot([new StorePartition(new SlotRange(0, 99), A), new StorePartition(new SlotRange(100, 199), B)], Load, 300, 64);

        Assert.Equal(["slots:0-12", "slots:13-14", "slots:15-17", "slots:18-99", "slots:100-199"], cut.Select(p => p.Id));
        Assert.All(cut.Take(4), p => Assert.Equal(A, p.Owner));
        Assert.Equal(B, cut[^1].Owner);
        Assert.All(cut, p => Assert.True(Enumerable.Range(p.Range.First, p.Range.Count).Sum(Load) <= 300));
    }

    [Fact]
    public void Splitting_stops_at_the_most_partitions_and_never_cuts_a_single_slot()
    {
        double Load(int slot) => slot == 5 ? 1_000 : 1;
        var capped = StorePartition.SplitHot([new StorePartition(new SlotRange(0, 99), A)], Load, 10, 3);
        Assert.Equal(3, capped.Count);

        var all = StorePartition.SplitHot([new StorePartition(new SlotRange(0, 99), A)], Load, 10, 1_000);
        Assert.Contains(all, p => p.Id == "slots:5-5");
        Assert.Equal(100, all.Sum(p => p.Range.Count));
        for (int i = 1; i < all.Count; i++)
        {
            Assert.Equal(all[i - 1].Range.Last + 1, all[i].Range.First);
        }
    }
}
