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
        var fields = new BodyFields(body, "body", "since");
        ulong since = (ulong)fields.OptionalInteger("since", 0, 0, long.MaxValue);
        ulong epoch;
        IReadOnlyList<(string Partition, string Node, ulong Epoch)> entries;
        try
        {
            (epoch, entries) = context.Routes.Since(since);
        }
        catch (EpochAheadException e)
        {
            throw new ProtocolException(ErrorCodes.NotFound, $"body.since: {e.Message}");
        }

        return MsgPackValue.Map(
            ("epoch", MsgPackValue.From(epoch)),
            ("since", MsgPackValue.From(since)),
            ("entries", MsgPackValue.FromArray(entries.Select(e => MsgPackValue.Map(("partition", MsgPackValue.From(e.Partition)), ("node", MsgPackValue.From(e.Node)), ("epoch", MsgPackValue.From(e.Epoch)))))));
    }
}
