using System.Globalization;
using System.Text;

namespace Shardcast.Protocol.MessagePack;

public enum MsgPackKind
{
    Nil,
    Boolean,
    Integer,
    Float,
    String,
    Binary,
    Array,
    Map,
    Extension,
    Timestamp,
}

/// <summary>
/// A decoded MessagePack value. Integers keep their sign and magnitude (<see cref="Int"/> for a negative value or
/// one up to long.MaxValue, <see cref="UInt"/> for any non-negative one); floats remember whether they came as
/// float32; maps keep their pairs in order and may have keys of any kind. Compact on purpose (one 64-bit payload,
/// one reference, one 32-bit extra): untrusted input decodes into these, so their size bounds how much memory
/// a frame can turn into; small integers, nil, booleans and empty containers are shared instances.
/// </summary>
public sealed class MsgPackValue
{
    public static readonly MsgPackValue Nil = new(MsgPackKind.Nil, 0, null, 0);
    public static readonly MsgPackValue True = new(MsgPackKind.Boolean, 1, null, 0);
    public static readonly MsgPackValue False = new(MsgPackKind.Boolean, 0, null, 0);
    public static readonly MsgPackValue EmptyString = new(MsgPackKind.String, 0, "", 0);
    public static readonly MsgPackValue EmptyArray = new(MsgPackKind.Array, 0, System.Array.Empty<MsgPackValue>(), 0);
    public static readonly MsgPackValue EmptyMap = new(MsgPackKind.Map, 0, System.Array.Empty<KeyValuePair<MsgPackValue, MsgPackValue>>(), 0);

    private const int NegativeFlag = 1;
    private const int SingleFlag = 2;
    private static readonly MsgPackValue[] SmallIntegers = [.. Enumerable.Range(-32, 32 + 256).Select(i => new MsgPackValue(MsgPackKind.Integer, i, null, i < 0 ? NegativeFlag : 0))];

    private readonly long _bits;
    private readonly object? _reference;
    private readonly int _extra;

    private MsgPackValue(MsgPackKind kind, long bits, object? reference, int extra)
    {
        Kind = kind;
        _bits = bits;
        _reference = reference;
        _extra = extra;
    }

    public MsgPackKind Kind { get; }

    public bool Boolean => Kind == MsgPackKind.Boolean && _bits != 0;

    /// <summary>The integer, when it fits a long (every negative one does).</summary>
    public long Int => _bits;

    /// <summary>The integer as unsigned, when it is not negative.</summary>
    public ulong UInt => unchecked((ulong)_bits);

    /// <summary>Whether the integer is negative (then only <see cref="Int"/> holds it).</summary>
    public bool IsNegative => (_extra & NegativeFlag) != 0;

    public double Float => BitConverter.Int64BitsToDouble(_bits);

    public bool IsSingle => (_extra & SingleFlag) != 0;

    public string String => _reference as string ?? "";

    /// <summary>The bytes of a bin or ext value.</summary>
    public ReadOnlyMemory<byte> Bytes => _reference as byte[] ?? ReadOnlyMemory<byte>.Empty;

    public IReadOnlyList<MsgPackValue> Items => _reference as MsgPackValue[] ?? [];

    public IReadOnlyList<KeyValuePair<MsgPackValue, MsgPackValue>> Pairs => _reference as KeyValuePair<MsgPackValue, MsgPackValue>[] ?? [];

    public sbyte ExtensionType => (sbyte)_extra;

    public long Seconds => _bits;

    public uint Nanoseconds => (uint)_extra;

    public static MsgPackValue From(bool value) => value ? True : False;

    public static MsgPackValue From(long value) =>
        value is >= -32 and <= 255 ? SmallIntegers[value + 32] : new(MsgPackKind.Integer, value, null, value < 0 ? NegativeFlag : 0);

    public static MsgPackValue From(ulong value) => value <= 255 ? SmallIntegers[(int)value + 32] : new(MsgPackKind.Integer, unchecked((long)value), null, 0);

    public static MsgPackValue From(double value) => new(MsgPackKind.Float, BitConverter.DoubleToInt64Bits(value), null, 0);

    public static MsgPackValue FromSingle(float value) => new(MsgPackKind.Float, BitConverter.DoubleToInt64Bits(value), null, SingleFlag);

    public static MsgPackValue From(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length == 0 ? EmptyString : new(MsgPackKind.String, 0, value, 0);
    }

    public static MsgPackValue FromBinary(byte[] value) => new(MsgPackKind.Binary, 0, value ?? throw new ArgumentNullException(nameof(value)), 0);

    public static MsgPackValue FromArray(MsgPackValue[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items.Length == 0 ? EmptyArray : new(MsgPackKind.Array, 0, items, 0);
    }

    public static MsgPackValue FromMap(KeyValuePair<MsgPackValue, MsgPackValue>[] pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return pairs.Length == 0 ? EmptyMap : new(MsgPackKind.Map, 0, pairs, 0);
    }

    public static MsgPackValue FromExtension(sbyte type, byte[] data) => new(MsgPackKind.Extension, 0, data ?? throw new ArgumentNullException(nameof(data)), type);

    public static MsgPackValue FromTimestamp(long seconds, uint nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nanoseconds, 999_999_999u);
        return new(MsgPackKind.Timestamp, seconds, null, (int)nanoseconds);
    }

    /// <summary>A map from string keys, in the order given.</summary>
    public static MsgPackValue Map(params (string Key, MsgPackValue Value)[] pairs) =>
        FromMap([.. pairs.Select(p => new KeyValuePair<MsgPackValue, MsgPackValue>(From(p.Key), p.Value))]);

    public static MsgPackValue FromArray(IEnumerable<MsgPackValue> items) => FromArray(items.ToArray());

    /// <summary>The value of a string key in a map, or null when absent (the first, where a key repeats).</summary>
    public MsgPackValue? this[string key]
    {
        get
        {
            foreach (var pair in Pairs)
            {
                if (pair.Key.Kind == MsgPackKind.String && pair.Key.String == key)
                {
                    return pair.Value;
                }
            }

            return null;
        }
    }

    /// <summary>The numeric value of an integer or float, as a double.</summary>
    public double AsDouble() => Kind switch
    {
        MsgPackKind.Float => Float,
        MsgPackKind.Integer => IsNegative || UInt <= long.MaxValue ? Int : UInt,
        _ => throw new InvalidOperationException($"A {Kind} is not a number."),
    };

    /// <summary>A canonical text form (the same value always prints the same): for tests and error messages.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(text);
        return text.ToString();
    }

    private void Append(StringBuilder text)
    {
        var c = CultureInfo.InvariantCulture;
        switch (Kind)
        {
            case MsgPackKind.Nil:
                text.Append("nil");
                break;
            case MsgPackKind.Boolean:
                text.Append(Boolean ? "true" : "false");
                break;
            case MsgPackKind.Integer:
                text.Append(IsNegative ? Int.ToString(c) : UInt.ToString(c));
                break;
            case MsgPackKind.Float:
                text.Append(Float.ToString("R", c)).Append(IsSingle ? "f" : "d");
                break;
            case MsgPackKind.String:
                text.Append('"').Append(String.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
                break;
            case MsgPackKind.Binary:
                text.Append("bin(").Append(Convert.ToHexString(Bytes.Span)).Append(')');
                break;
            case MsgPackKind.Extension:
                text.Append("ext(").Append(ExtensionType.ToString(c)).Append(',').Append(Convert.ToHexString(Bytes.Span)).Append(')');
                break;
            case MsgPackKind.Timestamp:
                text.Append("ts(").Append(Seconds.ToString(c)).Append(',').Append(Nanoseconds.ToString(c)).Append(')');
                break;
            case MsgPackKind.Array:
                text.Append('[');
                for (int i = 0; i < Items.Count; i++)
                {
                    text.Append(i > 0 ? "," : "");
                    Items[i].Append(text);
                }

                text.Append(']');
                break;
            default:
                text.Append('{');
                for (int i = 0; i < Pairs.Count; i++)
                {
                    text.Append(i > 0 ? "," : "");
                    Pairs[i].Key.Append(text);
                    text.Append(':');
                    Pairs[i].Value.Append(text);
                }

                text.Append('}');
                break;
        }
    }
}
