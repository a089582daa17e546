using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Store;

public class ClusterNodesFormatTests
{
    // As Garnet writes it (hostname after the comma), with a replica, a failed primary and a slot in transit.
    private const string Nodes = """
        45d9be948d3c4b3fe3b1f4ba2e314649d41343c8 127.0.0.1:7600@17600,vm myself,master - 0 0 1 connected 0-5460 [5461-<-06570751726a4a10c2602f3d95d5aa686c9b53bb]
        06570751726a4a10c2602f3d95d5aa686c9b53bb 127.0.0.1:7601@17601,vm master - 0 0 2 connected 5461-10921 [5461->-45d9be948d3c4b3fe3b1f4ba2e314649d41343c8]
        b6d2a6063c491f18ecb7c04d3ef9db1f7d503658 127.0.0.1:7602@17602 master - 0 0 3 connected 10922-16382 16383
        c0ffee0000000000000000000000000000000000 127.0.0.1:7603@17603 slave 45d9be948d3c4b3fe3b1f4ba2e314649d41343c8 0 0 1 connected
        dead000000000000000000000000000000000000 127.0.0.1:7604@17604 master,fail - 0 0 4 disconnected
        fresh00000000000000000000000000000000000 :7605@17605 master - 0 0 0 connected
        """;

    [Fact]
    public void Primaries_TheirRanges_AndSlotsInTransit_AreRead()
    {
        var map = ClusterNodesFormat.Parse(Nodes);
        Assert.Equal([7600, 7601, 7602], map.Nodes.Select(n => n.EndPoint.Port));
        Assert.True(map.Covered);
        Assert.Equal(7600, map.Owner(0)!.EndPoint.Port);
        Assert.Equal(7601, map.Owner(5461)!.EndPoint.Port);
        Assert.Equal(7602, map.Owner(16383)!.EndPoint.Port);
        Assert.Equal(["0-5460", "5461-10921", "10922-16383"], map.Ranges().Select(r => r.Range.ToString()));
        Assert.Equal(("06570751726a4a10c2602f3d95d5aa686c9b53bb", "45d9be948d3c4b3fe3b1f4ba2e314649d41343c8"), map.InTransit[5461]);
    }

    [Fact]
    public void AnUnownedSlot_LeavesTheMapUncovered()
    {
        var map = ClusterNodesFormat.Parse(Nodes.Replace(" 16383\n", "\n", StringComparison.Ordinal));
        Assert.False(map.Covered);
        Assert.Null(map.Owner(16383));
    }

    [Theory]
    [InlineData("abc 127.0.0.1:7600 master", "has 3 fields")]
    [InlineData("abc nowhere@1 master - 0 0 1 connected 0-10", "has no ip:port")]
    [InlineData("abc 127.0.0.1:7600@1 master - 0 0 1 connected 0-99999", "is not a slot or a range of slots")]
    [InlineData("abc 127.0.0.1:7600@1 master - 0 0 1 connected [12-x]", "neither migrating nor importing")]
    public void ALineThatDoesNotRead_IsRefusedNamingIt(string line, string reason)
    {
        var e = Assert.Throws<FormatException>(() => ClusterNodesFormat.Parse(line));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
