using System.Net;
using System.Text;
using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Store;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;

namespace Shardcast.DataPlane.Tests.Layout;

/// <summary>A store's partitions as slot ranges, its snapshot as a cluster file, and plan files mapped back to range moves.</summary>
public class StoreLayoutTests
{
    private static readonly StoreNode N0 = new(new string('a', 40), new IPEndPoint(IPAddress.Loopback, 7000));
    private static readonly StoreNode N1 = new(new string('b', 40), new IPEndPoint(IPAddress.Loopback, 7001));

    /// <summary>N0 owns 0-99 and 8192-16383, N1 100-8191 (a move left N0's first range short of an even cut).</summary>
    private static SlotMap Map()
    {
        var owner = new int[HashSlots.Count];
        for (int slot = 100; slot < 8192; slot++)
        {
            owner[slot] = 1;
        }

        return new SlotMap([N0, N1], owner, new Dictionary<int, (string, string)>());
    }

    [Fact]
    public void The_slot_space_is_cut_evenly_and_again_where_ownership_changes()
    {
        var partitions = StorePartition.Cut(Map(), 4);
        Assert.Equal(["slots:0-99", "slots:100-4095", "slots:4096-8191", "slots:8192-12287", "slots:12288-16383"], partitions.Select(p => p.Id));
        Assert.Equal([N0, N1, N1, N0, N0], partitions.Select(p => p.Owner));
        Assert.Equal(HashSlots.Count, partitions.Sum(p => p.Range.Count));
    }

    [Theory]
    [InlineData("slots:0-16383", 0, 16383)]
    [InlineData("slots:7-7", 7, 7)]
    public void A_partition_id_names_its_range(string id, int first, int last) =>
        Assert.Equal(new SlotRange(first, last), StorePartition.ParseId(id));

    [Theory]
    [InlineData("p-12")]
    [InlineData("slots:5-3")]
    [InlineData("slots:0-16384")]
    [InlineData("slots:-1-3")]
    [InlineData("slots:1-2-3")]
    public void An_id_that_names_no_range_is_refused_saying_what_an_id_looks_like(string id)
    {
        var e = Assert.Throws<FormatException>(() => StorePartition.ParseId(id));
        Assert.Contains($"partition '{id}' does not name a slot range: a store's partitions are named 'slots:FIRST-LAST'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_snapshot_is_a_cluster_file_the_planner_reads_and_its_plan_maps_back_to_range_moves()
    {
        var map = Map();
        var cut = StorePartition.Cut(map, 4);
        // Node 0 carries 900 of 1000 operations per second.
        double[] ops = [500, 50, 50, 200, 200];
        var snapshot = new StoreSnapshot(map, [.. cut.Select((p, i) => new PartitionObservation(p, 100 * (i + 1), 1000.0 * (i + 1), ops[i]))], TimeSpan.FromSeconds(3));
        double capacity = StoreClusterFile.DefaultCapacity(snapshot);
        Assert.Equal(1000 / 2 / StoreClusterFile.DefaultTheta, capacity, 9);

        var spec = ClusterFileReader.Parse(StoreClusterFile.ToUtf8(snapshot, capacity));
        Assert.Equal(["ops"], spec.Resources);
        Assert.Equal(["127.0.0.1:7000", "127.0.0.1:7001"], spec.Nodes.Select(n => n.Id));
        Assert.Equal(cut.Select(p => p.Id), spec.Partitions.Select(p => p.Id));
        Assert.Equal(500, spec.Partitions[0].Load![0][0]);

        var plan = Planner.Plan(spec, new PlanOptions { TimeMs = 200, AdviseScaling = false });
        Assert.True(plan.Moves.Count > 0);
        var migration = StorePlan.From(plan.Moves, map);
        Assert.All(migration.Moves, m =>
        {
            var partition = cut.Single(p => p.Id == m.Partition);
            Assert.Equal(partition.Range, m.Range);
            Assert.Equal(partition.Owner.Id, m.Source);
            Assert.NotEqual(m.Source, m.Target);
        });
    }

    [Fact]
    public void With_no_traffic_counted_the_store_is_planned_by_bytes()
    {
        var cut = StorePartition.Cut(Map(), 2);
        var snapshot = new StoreSnapshot(Map(), [.. cut.Select(p => new PartitionObservation(p, 10, 5000, 0))], TimeSpan.FromSeconds(1));
        var spec = ClusterFileReader.Parse(StoreClusterFile.ToUtf8(snapshot, StoreClusterFile.DefaultCapacity(snapshot)));
        Assert.Equal(["bytes"], spec.Resources);
        Assert.Equal(5000, spec.Partitions[0].Load![0][0]);
    }

    [Theory]
    [InlineData("{\"moves\": [{\"partition\": \"slots:0-99\", \"from\": \"127.0.0.1:7000\", \"to\": \"127.0.0.1:7009\", \"bytes\": 1, \"wave\": 0}]}", "$.moves[0].to: node '127.0.0.1:7009' is not a primary of the store (its primaries: 127.0.0.1:7000, 127.0.0.1:7001)")]
    [InlineData("{\"moves\": [{\"partition\": \"p1\", \"from\": \"127.0.0.1:7000\", \"to\": \"127.0.0.1:7001\"}]}", "$.moves[0].partition: partition 'p1' does not name a slot range")]
    [InlineData("{\"moves\": [{\"partition\": \"slots:0-99\", \"to\": \"127.0.0.1:7001\"}]}", "$.moves[0].from: expected a string")]
    [InlineData("{\"assignment\": {}}", "$.moves: a plan file has an array of moves")]
    [InlineData("{\"moves\": [", "the plan file is not JSON")]
    public void A_plan_file_that_does_not_fit_the_store_is_refused_naming_the_field(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => StorePlan.FromPlanFile(Encoding.UTF8.GetBytes(json), Map()));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plan_file_names_nodes_by_address_or_by_id_and_keeps_its_waves()
    {
        string json = $$"""{"moves": [{"partition": "slots:0-99", "from": "127.0.0.1:7000", "to": "{{N1.Id}}", "bytes": 10, "wave": 1}, {"partition": "slots:100-4095", "from": "127.0.0.1:7001", "to": "127.0.0.1:7000", "bytes": 5, "wave": 0}]}""";
        var plan = StorePlan.FromPlanFile(Encoding.UTF8.GetBytes(json), Map());
        Assert.Equal(["slots:100-4095", "slots:0-99"], plan.Moves.Select(m => m.Partition));
        Assert.Equal(N1.Id, plan.Moves[1].Target);
        Assert.Equal(15, plan.Bytes);
    }

    [Theory]
    [InlineData("redis://127.0.0.1:7000", 1)]
    [InlineData("redis://127.0.0.1:7000,127.0.0.1:7001, redis://[::1]:7002", 3)]
    public void A_cluster_address_names_its_nodes(string address, int count) =>
        Assert.Equal(count, StoreAddress.Parse(address).Count);

    [Theory]
    [InlineData("redis://127.0.0.1", "'127.0.0.1' in redis://127.0.0.1: expected host:port")]
    [InlineData("redis://127.0.0.1:0", "'127.0.0.1:0' in redis://127.0.0.1:0: expected host:port with a port from 1 to 65535")]
    [InlineData("garnet", "'garnet' is not a cluster address")]
    public void A_bad_cluster_address_is_refused_naming_the_part(string address, string expected) =>
        Assert.StartsWith(expected, Assert.Throws<FormatException>(() => StoreAddress.Parse(address)).Message, StringComparison.Ordinal);
}
