using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>
/// `execution`: the managed store's current (or last) execution: its progress and the events after `since` (a client
/// polls with the last `seq` it saw), and, with `action`, pause, resume or cancel (cancel rolls back the moves in
/// flight).
/// </summary>
public sealed class ExecutionOperation : IOperation
{
    public string Name => "execution";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "cluster", "since", "action", "max_events");
        var store = StoreRequest.Resolve(context, fields);
        long since = fields.OptionalInteger("since", 0, 0, long.MaxValue);
        int maxEvents = (int)fields.OptionalInteger("max_events", 1000, 0, 10_000);
        string? action = fields.OptionalString("action");
        var (execution, number) = store.Current;
        if (execution is null)
        {
            throw new ProtocolException(ErrorCodes.NotFound, "body.cluster: no execution has been started on this store (send execute)");
        }

        bool changed = action switch
        {
            null => false,
            "pause" => execution.Pause(),
            "resume" => execution.Resume(),
            "cancel" => execution.Cancel(),
            _ => throw new BadRequestException("body.action", $"expected pause, resume or cancel, found '{action}'"),
        };
        var events = execution.EventsAfter(since).Take(maxEvents).ToList();
        return MsgPackValue.Map(
            ("cluster", MsgPackValue.From(context.Options.StoreName)),
            ("progress", StoreRequest.Progress(execution.Progress, number)),
            ("action_taken", MsgPackValue.From(changed)),
            ("events", MsgPackValue.FromArray(events.Select(StoreRequest.Event))),
            ("last", MsgPackValue.From(events.Count > 0 ? events[^1].Sequence : since)));
    }
}
