using System.Buffers.Binary;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server;

/// <summary>A body that does not match its operation's schema: `bad_request` naming the field.</summary>
public sealed class BadRequestException(string field, string reason) : ProtocolException(ErrorCodes.BadRequest, $"{field}: {reason}")
{
    public string Field { get; } = field;
}

/// <summary>Reads a request body's fields by path, refusing wrong shapes with the field's path ("body.series[2].values").</summary>
public readonly struct BodyFields
{
    private readonly MsgPackValue _map;

    public BodyFields(MsgPackValue map, string path, params string[] known)
    {
        ArgumentNullException.ThrowIfNull(map);
        Path = path;
        if (map.Kind != MsgPackKind.Map)
        {
            throw new BadRequestException(path, $"expected a map, found {Describe(map)}");
        }

        foreach (var pair in map.Pairs)
        {
            if (pair.Key.Kind != MsgPackKind.String)
            {
                throw new BadRequestException(path, $"keys are strings, found {Describe(pair.Key)}");
            }

            if (known.Length > 0 && !known.Contains(pair.Key.String))
            {
                throw new BadRequestException($"{path}.{pair.Key.String}", $"unknown key (known: {string.Join(", ", known)})");
            }
        }

        _map = map;
    }

    public string Path { get; }

    public string PathOf(string key) => $"{Path}.{key}";

    public MsgPackValue? Optional(string key) => _map[key] is { Kind: not MsgPackKind.Nil } v ? v : null;

    public MsgPackValue Required(string key) => Optional(key) ?? throw new BadRequestException(PathOf(key), "required");

    public string RequiredString(string key) => AsString(Required(key), PathOf(key));

    public string? OptionalString(string key) => Optional(key) is { } v ? AsString(v, PathOf(key)) : null;

    public double OptionalNumber(string key, double fallback) => Optional(key) is { } v ? AsNumber(v, PathOf(key)) : fallback;

    public double RequiredNumber(string key) => AsNumber(Required(key), PathOf(key));

    public long OptionalInteger(string key, long fallback, long min, long max)
    {
        if (Optional(key) is not { } v)
        {
            return fallback;
        }

        if (v.Kind != MsgPackKind.Integer || (!v.IsNegative && v.UInt > long.MaxValue) || v.Int < min || v.Int > max)
        {
            throw new BadRequestException(PathOf(key), $"expected an integer in [{min}, {max}], found {Describe(v)}");
        }

        return v.Int;
    }

    public bool OptionalBool(string key, bool fallback) => Optional(key) switch
    {
        null => fallback,
        { Kind: MsgPackKind.Boolean } v => v.Boolean,
        var v => throw new BadRequestException(PathOf(key), $"expected true or false, found {Describe(v)}"),
    };

    public IReadOnlyList<MsgPackValue> RequiredArray(string key, int maxCount) => AsArray(Required(key), PathOf(key), maxCount);

    public static IReadOnlyList<MsgPackValue> AsArray(MsgPackValue v, string path, int maxCount)
    {
        if (v.Kind != MsgPackKind.Array)
        {
            throw new BadRequestException(path, $"expected an array, found {Describe(v)}");
        }

        return v.Items.Count <= maxCount ? v.Items : throw new BadRequestException(path, $"at most {maxCount} elements, found {v.Items.Count}");
    }

    public static string AsString(MsgPackValue v, string path) =>
        v.Kind == MsgPackKind.String ? v.String : throw new BadRequestException(path, $"expected a string, found {Describe(v)}");

    public static double AsNumber(MsgPackValue v, string path)
    {
        double d = v.Kind is MsgPackKind.Integer or MsgPackKind.Float ? v.AsDouble() : throw new BadRequestException(path, $"expected a number, found {Describe(v)}");
        return double.IsFinite(d) ? d : throw new BadRequestException(path, "expected a finite number");
    }

    /// <summary>Numbers as a MessagePack array of numbers or as bin of little-endian float32 (the NumPy form).</summary>
    public static double[] AsNumbers(MsgPackValue v, string path, int maxCount)
    {
        if (v.Kind == MsgPackKind.Binary)
        {
            var bytes = v.Bytes.Span;
            if (bytes.Length % 4 != 0)
            {
                throw new BadRequestException(path, $"bin of float32 has a multiple of 4 bytes, found {bytes.Length}");
            }

            if (bytes.Length / 4 > maxCount)
            {
                throw new BadRequestException(path, $"at most {maxCount} numbers, found {bytes.Length / 4}");
            }

            var values = new double[bytes.Length / 4];
            for (int i = 0; i < values.Length; i++)
            {
                float f = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                values[i] = float.IsFinite(f) ? f : throw new BadRequestException($"{path}[{i}]", "expected a finite number");
            }

            return values;
        }

        if (v.Kind != MsgPackKind.Array)
        {
            throw new BadRequestException(path, $"expected an array of numbers or bin of float32, found {Describe(v)}");
        }

        if (v.Items.Count > maxCount)
        {
            throw new BadRequestException(path, $"at most {maxCount} numbers, found {v.Items.Count}");
        }

        var result = new double[v.Items.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = AsNumber(v.Items[i], $"{path}[{i}]");
        }

        return result;
    }

    /// <summary>Integers as an array or as bin of little-endian int32.</summary>
    public static int[] AsIntegers(MsgPackValue v, string path, int maxCount)
    {
        if (v.Kind == MsgPackKind.Binary)
        {
            var bytes = v.Bytes.Span;
            if (bytes.Length % 4 != 0 || bytes.Length / 4 > maxCount)
            {
                throw new BadRequestException(path, $"bin of int32 has a multiple of 4 bytes and at most {maxCount} values, found {bytes.Length} bytes");
            }

            var values = new int[bytes.Length / 4];
            if (BitConverter.IsLittleEndian)
            {
                bytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);
                }
            }

            return values;
        }

        if (v.Kind != MsgPackKind.Array || v.Items.Count > maxCount)
        {
            throw new BadRequestException(path, $"expected an array of at most {maxCount} integers or bin of int32, found {Describe(v)}");
        }

        return [.. v.Items.Select((item, i) => item.Kind == MsgPackKind.Integer && item.Int is >= int.MinValue and <= int.MaxValue && (item.IsNegative || item.UInt <= int.MaxValue)
            ? (int)item.Int
            : throw new BadRequestException($"{path}[{i}]", $"expected a 32-bit integer, found {Describe(item)}"))];
    }

    public static string Describe(MsgPackValue v) => v.Kind switch
    {
        MsgPackKind.String => $"a string",
        MsgPackKind.Array => $"an array of {v.Items.Count}",
        MsgPackKind.Map => $"a map of {v.Pairs.Count}",
        MsgPackKind.Binary => $"bin of {v.Bytes.Length} bytes",
        MsgPackKind.Integer => $"the integer {v}",
        MsgPackKind.Float => $"the number {v.Float}",
        _ => v.Kind.ToString().ToLowerInvariant(),
    };
}
