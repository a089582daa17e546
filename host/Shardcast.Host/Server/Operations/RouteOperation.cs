using Shardcast.Engine.Routing;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>`route`: the routing table, or the entries changed since an epoch.</summary>
public sealed class RouteOperation : IOperation
{
    public string Name => "route";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "since", "cluster");
        ulong since = (ulong)fields.OptionalInteger("since", 0, 0, long.MaxValue);
        string cluster = fields.OptionalString("cluster") ?? RoutingTables.DefaultCluster;
        ulong epoch;
        IReadOnlyList<(string Partition, string Node, ulong Epoch)> entries;
        try
        {
            (epoch, entries) = Table(context, cluster, "body.cluster").Since(since);
        }
        catch (EpochAheadException e)
        {
            throw new ProtocolException(ErrorCodes.NotFound, $"body.since: {e.Message}");
        }

        return MsgPackValue.Map(
            ("cluster", MsgPackValue.From(cluster)),
            ("epoch", MsgPackValue.From(epoch)),
            ("since", MsgPackValue.From(since)),
            ("entries", MsgPackValue.FromArray(entries.Select(e => MsgPackValue.Map(("partition", MsgPackValue.From(e.Partition)), ("node", MsgPackValue.From(e.Node)), ("epoch", MsgPackValue.From(e.Epoch)))))));
    }

    /// <summary>The named cluster's routing table; a name that cannot be one is a bad request naming <paramref name="path"/>.</summary>
    internal static RoutingTable Table(RequestContext context, string cluster, string path)
    {
        try
        {
            return context.Routes.Get(cluster);
        }
        catch (RoutingStateException e)
        {
            throw new BadRequestException(path, e.Message);
        }
    }
}
