using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Shardcast.Protocol.MessagePack;

/// <summary>
/// Writes MessagePack to an <see cref="IBufferWriter{T}"/>, always in the shortest encoding of the value's kind:
/// integers in the fewest bytes (fixint, then 8/16/32/64 bits, unsigned for non-negative values), floats as
/// float32 when that is exact, strings, bins, arrays, maps, exts and timestamps with the smallest header.
/// </summary>
public sealed class MsgPackWriter(IBufferWriter<byte> output)
{
    private readonly IBufferWriter<byte> _output = output ?? throw new ArgumentNullException(nameof(output));

    public void WriteNil() => WriteByte(0xc0);

    public void Write(bool value) => WriteByte(value ? (byte)0xc3 : (byte)0xc2);

    public void Write(long value)
    {
        if (value >= 0)
        {
            Write((ulong)value);
        }
        else if (value >= -32)
        {
            WriteByte(unchecked((byte)(sbyte)value));
        }
        else if (value >= sbyte.MinValue)
        {
            var span = Reserve(2);
            span[0] = 0xd0;
            span[1] = unchecked((byte)(sbyte)value);
            Commit(2);
        }
        else if (value >= short.MinValue)
        {
            var span = Reserve(3);
            span[0] = 0xd1;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            Commit(3);
        }
        else if (value >= int.MinValue)
        {
            var span = Reserve(5);
            span[0] = 0xd2;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            Commit(5);
        }
        else
        {
            var span = Reserve(9);
            span[0] = 0xd3;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            Commit(9);
        }
    }

    public void Write(ulong value)
    {
        if (value <= 0x7f)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            var span = Reserve(2);
            span[0] = 0xcc;
            span[1] = (byte)value;
            Commit(2);
        }
        else if (value <= ushort.MaxValue)
        {
            var span = Reserve(3);
            span[0] = 0xcd;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            Commit(3);
        }
        else if (value <= uint.MaxValue)
        {
            var span = Reserve(5);
            span[0] = 0xce;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            Commit(5);
        }
        else
        {
            var span = Reserve(9);
            span[0] = 0xcf;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            Commit(9);
        }
    }

    /// <summary>A double, as float32 where that loses nothing (NaN stays float64 to keep its payload).</summary>
    public void Write(double value)
    {
        float single = (float)value;
        if (!double.IsNaN(value) && single == value)
        {
            Write(single);
            return;
        }

        var span = Reserve(9);
        span[0] = 0xcb;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        Commit(9);
    }

    public void Write(float value)
    {
        var span = Reserve(5);
        span[0] = 0xca;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        Commit(5);
    }

    public void Write(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int length = Encoding.UTF8.GetByteCount(value);
        WriteHeader(length, 0xa0, 31, 0xd9, 0xda, 0xdb);
        Encoding.UTF8.GetBytes(value, Reserve(length));
        Commit(length);
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteHeader(value.Length, 0, -1, 0xc4, 0xc5, 0xc6);
        value.CopyTo(Reserve(value.Length));
        Commit(value.Length);
    }

    /// <summary>Bulk numbers as bin of little-endian float32, the protocol's compact array form.</summary>
    public void WriteFloat32Bin(ReadOnlySpan<float> values)
    {
        int length = checked(values.Length * 4);
        WriteHeader(length, 0, -1, 0xc4, 0xc5, 0xc6);
        var span = Reserve(length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(span);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], values[i]);
            }
        }

        Commit(length);
    }

    public void WriteArrayHeader(int count) => WriteHeader(count, 0x90, 15, -1, 0xdc, 0xdd);

    public void WriteMapHeader(int count) => WriteHeader(count, 0x80, 15, -1, 0xde, 0xdf);

    public void WriteExtension(sbyte type, ReadOnlySpan<byte> data)
    {
        int length = data.Length;
        byte fixCode = length switch { 1 => 0xd4, 2 => 0xd5, 4 => 0xd6, 8 => 0xd7, 16 => 0xd8, _ => 0 };
        if (fixCode != 0)
        {
            var head = Reserve(2);
            head[0] = fixCode;
            head[1] = unchecked((byte)type);
            Commit(2);
        }
        else
        {
            WriteHeader(length, 0, -1, 0xc7, 0xc8, 0xc9);
            WriteByte(unchecked((byte)type));
        }

        data.CopyTo(Reserve(length));
        Commit(length);
    }

    /// <summary>The timestamp extension (-1) in its shortest form: 32-bit seconds, 64-bit (34-bit seconds, 30-bit ns), or 96-bit.</summary>
    public void WriteTimestamp(long seconds, uint nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nanoseconds, 999_999_999u);
        if (seconds >> 34 == 0)
        {
            if (nanoseconds == 0 && seconds <= uint.MaxValue)
            {
                Span<byte> data = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(data, (uint)seconds);
                WriteExtension(-1, data);
            }
            else
            {
                Span<byte> data = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(data, ((ulong)nanoseconds << 34) | (ulong)seconds);
                WriteExtension(-1, data);
            }
        }
        else
        {
            Span<byte> data = stackalloc byte[12];
            BinaryPrimitives.WriteUInt32BigEndian(data, nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(data[4..], seconds);
            WriteExtension(-1, data);
        }
    }

    public void Write(MsgPackValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value.Kind)
        {
            case MsgPackKind.Nil:
                WriteNil();
                break;
            case MsgPackKind.Boolean:
                Write(value.Boolean);
                break;
            case MsgPackKind.Integer:
                if (value.IsNegative)
                {
                    Write(value.Int);
                }
                else
                {
                    Write(value.UInt);
                }

                break;
            case MsgPackKind.Float:
                if (value.IsSingle)
                {
                    Write((float)value.Float);
                }
                else
                {
                    Write(value.Float);
                }

                break;
            case MsgPackKind.String:
                Write(value.String);
                break;
            case MsgPackKind.Binary:
                WriteBinary(value.Bytes.Span);
                break;
            case MsgPackKind.Extension:
                WriteExtension(value.ExtensionType, value.Bytes.Span);
                break;
            case MsgPackKind.Timestamp:
                WriteTimestamp(value.Seconds, value.Nanoseconds);
                break;
            case MsgPackKind.Array:
                WriteArrayHeader(value.Items.Count);
                foreach (var item in value.Items)
                {
                    Write(item);
                }

                break;
            default:
                WriteMapHeader(value.Pairs.Count);
                foreach (var pair in value.Pairs)
                {
                    Write(pair.Key);
                    Write(pair.Value);
                }

                break;
        }
    }

    /// <summary>A length header: fix form (code | length) up to fixMax, else 8-, 16- or 32-bit (a code of -1 skips that width).</summary>
    private void WriteHeader(int length, int fixCode, int fixMax, int code8, int code16, int code32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length <= fixMax)
        {
            WriteByte((byte)(fixCode | length));
        }
        else if (code8 >= 0 && length <= byte.MaxValue)
        {
            var span = Reserve(2);
            span[0] = (byte)code8;
            span[1] = (byte)length;
            Commit(2);
        }
        else if (length <= ushort.MaxValue)
        {
            var span = Reserve(3);
            span[0] = (byte)code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            Commit(3);
        }
        else
        {
            var span = Reserve(5);
            span[0] = (byte)code32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            Commit(5);
        }
    }

    private void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        Commit(1);
    }

    /// <summary>Space for the next bytes; <see cref="Commit"/> after filling it (the buffer writer's contract).</summary>
    private Span<byte> Reserve(int count) => _output.GetSpan(count)[..count];

    private void Commit(int count) => _output.Advance(count);
}
