using Shardcast.Protocol.MessagePack;

namespace Shardcast.Protocol;

/// <summary>The envelope of requests and responses (docs/protocol.md), built and taken apart in one place.</summary>
public static class Messages
{
    public const int Version = 1;

    public static MsgPackValue Request(ulong id, string op, MsgPackValue body, string? token = null)
    {
        var pairs = new List<(string, MsgPackValue)>
        {
            ("v", MsgPackValue.From((long)Version)), ("id", MsgPackValue.From(id)), ("op", MsgPackValue.From(op)), ("body", body),
        };
        if (token is not null)
        {
            pairs.Add(("token", MsgPackValue.From(token)));
        }

        return MsgPackValue.Map([.. pairs]);
    }

    public static MsgPackValue Success(ulong id, MsgPackValue body) =>
        MsgPackValue.Map(("id", MsgPackValue.From(id)), ("ok", MsgPackValue.True), ("body", body));

    /// <summary>An error response; the id is nil where the request's id could not be read.</summary>
    public static MsgPackValue Failure(ulong? id, string code, string message, MsgPackValue? body = null)
    {
        var pairs = new List<(string, MsgPackValue)>
        {
            ("id", id is { } i ? MsgPackValue.From(i) : MsgPackValue.Nil), ("ok", MsgPackValue.False),
            ("error", MsgPackValue.Map(("code", MsgPackValue.From(code)), ("message", MsgPackValue.From(message)))),
        };
        if (body is not null)
        {
            pairs.Add(("body", body));
        }

        return MsgPackValue.Map([.. pairs]);
    }
}
