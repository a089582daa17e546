using Shardcast.Engine.Routing;

namespace Shardcast.Engine.Tests.Routing;

public class RoutingTableTests
{
    [Fact]
    public void Recording_an_assignment_moves_only_the_changed_entries_to_one_new_epoch()
    {
        var table = new RoutingTable();
        Assert.Equal((1UL, 3), table.Record([("p0", "n0"), ("p1", "n1"), ("p2", "n0")]));
        Assert.Equal((2UL, 1), table.Record([("p0", "n0"), ("p1", "n2"), ("p2", "n0")]));
        Assert.Equal((2UL, 0), table.Record([("p1", "n2")]));

        var (epoch, changed) = table.Since(1);
        Assert.Equal(2UL, epoch);
        Assert.Equal([("p1", "n2", 2UL)], changed);
        Assert.Equal(["p0", "p1", "p2"], table.Since(0).Entries.Select(e => e.Partition));
    }

    [Fact]
    public void An_epoch_the_table_has_not_reached_is_refused_naming_both()
    {
        var table = new RoutingTable();
        table.Record([("p0", "n0")]);
        var refused = Assert.Throws<EpochAheadException>(() => table.Since(5));
        Assert.Equal((5UL, 1UL), (refused.Since, refused.Epoch));
        Assert.Equal("epoch 5 is ahead of the table's 1", refused.Message);
    }
}
