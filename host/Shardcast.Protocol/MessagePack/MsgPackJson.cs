using System.Text.Json;

namespace Shardcast.Protocol.MessagePack;

/// <summary>JSON documents as MessagePack values: objects to maps (keys in order), integral numbers to integers, others to float64.</summary>
public static class MsgPackJson
{
    public static MsgPackValue FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => MsgPackValue.FromMap([.. element.EnumerateObject().Select(p => new KeyValuePair<MsgPackValue, MsgPackValue>(MsgPackValue.From(p.Name), FromJson(p.Value)))]),
        JsonValueKind.Array => MsgPackValue.FromArray([.. element.EnumerateArray().Select(FromJson)]),
        JsonValueKind.String => MsgPackValue.From(element.GetString()!),
        JsonValueKind.Number when element.TryGetInt64(out long l) => MsgPackValue.From(l),
        JsonValueKind.Number => MsgPackValue.From(element.GetDouble()),
        JsonValueKind.True => MsgPackValue.True,
        JsonValueKind.False => MsgPackValue.False,
        _ => MsgPackValue.Nil,
    };
}
