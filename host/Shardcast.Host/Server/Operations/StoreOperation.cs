using Shardcast.DataPlane.Layout;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>
/// `store`: the managed store as the planner sees it: nodes with their slot ranges, partitions (slot ranges) with
/// keys, bytes and the operations per second counted since the last snapshot, and the cluster file built from them.
/// </summary>
public sealed class StoreOperation : IOperation
{
    public string Name => "store";

    public bool IsHeavy(MsgPackValue body) => true;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "cluster", "partitions", "node_capacity");
        var store = StoreRequest.Resolve(context, fields);
        int partitions = (int)fields.OptionalInteger("partitions", context.Options.StorePartitions, 1, 16384);
        var snapshot = store.SnapshotAsync(partitions, context.Cancellation).GetAwaiter().GetResult();
        double capacity = fields.Optional("node_capacity") is not null ? fields.RequiredNumber("node_capacity") : StoreClusterFile.DefaultCapacity(snapshot);
        if (!(capacity > 0) || !double.IsFinite(capacity))
        {
            throw new BadRequestException("body.node_capacity", $"expected a positive number, found {capacity}");
        }

        string resource = StoreClusterFile.Resource(snapshot);
        var ranges = snapshot.Map.Ranges();
        return MsgPackValue.Map(
            ("cluster", MsgPackValue.From(context.Options.StoreName)),
            ("resource", MsgPackValue.From(resource)),
            ("window_seconds", MsgPackValue.From(Math.Round(snapshot.Window.TotalSeconds, 3))),
            ("node_capacity", MsgPackValue.From(capacity)),
            ("nodes", MsgPackValue.FromArray(snapshot.Map.Nodes.OrderBy(n => n.EndPoint.Port).Select(n => MsgPackValue.Map(
                ("id", MsgPackValue.From(StoreSnapshot.NodeName(n))),
                ("node_id", MsgPackValue.From(n.Id)),
                ("slots", MsgPackValue.FromArray(ranges.Where(r => r.Node.Id == n.Id).Select(r => MsgPackValue.From(r.Range.ToString())))))))),
            ("partitions", MsgPackValue.FromArray(snapshot.Partitions.Select(p => MsgPackValue.Map(
                ("id", MsgPackValue.From(p.Partition.Id)),
                ("node", MsgPackValue.From(StoreSnapshot.NodeName(p.Partition.Owner))),
                ("keys", MsgPackValue.From(p.Keys)),
                ("bytes", MsgPackValue.From(Math.Round(p.Bytes))),
                ("ops", MsgPackValue.From(Math.Round(p.OperationsPerSecond, 3))))))),
            ("cluster_file", StoreRequest.FromJson(StoreClusterFile.ToUtf8(snapshot, capacity))));
    }
}
