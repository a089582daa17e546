using System.Text;

namespace Shardcast.DataPlane.Store;

/// <summary>A RESP2 reply: a simple or bulk string, an integer, nil, an array, or an error reply (kept as a value).</summary>
public sealed class RespReply
{
    private RespReply(char kind, string? text, byte[]? bytes, long integer, IReadOnlyList<RespReply>? items)
    {
        Kind = kind;
        _text = text;
        Bytes = bytes;
        Integer = integer;
        Items = items ?? [];
    }

    public static RespReply Nil { get; } = new('_', null, null, 0, null);

    /// <summary>'+' text, '-' error, ':' integer, '$' bulk, '*' array, '_' nil.</summary>
    public char Kind { get; }

    public byte[]? Bytes { get; }

    public long Integer { get; }

    public IReadOnlyList<RespReply> Items { get; }

    public bool IsError => Kind == '-';

    public bool IsNil => Kind == '_';

    private readonly string? _text;

    public string Text => _text ?? (Bytes is null ? "" : Encoding.UTF8.GetString(Bytes));

    public static RespReply FromText(string text) => new('+', text, null, 0, null);

    public static RespReply FromError(string text) => new('-', text, null, 0, null);

    public static RespReply FromInteger(long value) => new(':', null, null, value, null);

    public static RespReply FromBulk(byte[] bytes) => new('$', null, bytes, 0, null);

    public static RespReply FromArray(IReadOnlyList<RespReply> items) => new('*', null, null, 0, items);

    /// <summary>The reply, where it is not an error; else an exception naming the command and the error.</summary>
    public RespReply OrThrow(string what) => IsError ? throw new StoreCommandException($"{what}: {Text}") : this;

    public override string ToString() => Kind switch
    {
        ':' => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        '*' => $"[{string.Join(", ", Items)}]",
        '_' => "nil",
        '-' => $"(error) {Text}",
        _ => Text,
    };
}
