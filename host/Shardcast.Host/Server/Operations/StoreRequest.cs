using System.Text.Json;
using Shardcast.DataPlane.Execution;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>What the store operations share: finding the managed store a request names, and an execution's state as a map.</summary>
internal static class StoreRequest
{
    /// <summary>The store named by `cluster` (default: the server's store name); not_found where the server manages none of that name.</summary>
    public static ManagedStore Resolve(RequestContext context, BodyFields fields)
    {
        string name = fields.OptionalString("cluster") ?? context.Options.StoreName;
        if (context.Store is null)
        {
            throw new ProtocolException(ErrorCodes.NotFound, $"{fields.PathOf("cluster")}: this server manages no store (start it with --store garnet|redis-server|redis://host:port,...)");
        }

        return name == context.Options.StoreName
            ? context.Store
            : throw new ProtocolException(ErrorCodes.NotFound, $"{fields.PathOf("cluster")}: no store '{name}' here (this server manages '{context.Options.StoreName}')");
    }

    public static MsgPackValue Progress(ExecutionProgress p, long number) => MsgPackValue.Map(
        ("execution", MsgPackValue.From(number)),
        ("state", MsgPackValue.From(p.State.ToString().ToLowerInvariant())),
        ("wave", MsgPackValue.From(p.Wave)),
        ("moves_total", MsgPackValue.From(p.MovesTotal)),
        ("moves_done", MsgPackValue.From(p.MovesDone)),
        ("moves_skipped", MsgPackValue.From(p.MovesSkipped)),
        ("moves_failed", MsgPackValue.From(p.MovesFailed)),
        ("moves_running", MsgPackValue.From(p.MovesRunning)),
        ("moves_pending", MsgPackValue.From(p.MovesPending)),
        ("slots_moved", MsgPackValue.From(p.SlotsMoved)),
        ("keys_copied", MsgPackValue.From(p.KeysCopied)),
        ("bytes_total", MsgPackValue.From(p.BytesTotal)),
        ("bytes_done", MsgPackValue.From(p.BytesDone)));

    public static MsgPackValue Event(ExecutionEvent e) => MsgPackValue.Map(
        ("seq", MsgPackValue.From(e.Sequence)),
        ("at_ms", MsgPackValue.From(e.At.ToUnixTimeMilliseconds())),
        ("kind", MsgPackValue.From(e.Kind)),
        ("partition", e.Partition is null ? MsgPackValue.Nil : MsgPackValue.From(e.Partition)),
        ("slot", e.Slot is { } slot ? MsgPackValue.From(slot) : MsgPackValue.Nil),
        ("detail", e.Detail is null ? MsgPackValue.Nil : MsgPackValue.From(e.Detail)));

    /// <summary>A JSON document (the cluster file) as a map.</summary>
    public static MsgPackValue FromJson(byte[] utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        return MsgPackJson.FromJson(document.RootElement);
    }
}
