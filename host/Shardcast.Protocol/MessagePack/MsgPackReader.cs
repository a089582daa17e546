using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Shardcast.Protocol.MessagePack;

public enum MsgPackReadStatus
{
    /// <summary>A whole value was read.</summary>
    Complete,

    /// <summary>The input ends inside the value: read again when more bytes have arrived.</summary>
    NeedMoreBytes,

    /// <summary>The input is not MessagePack within the limits; the error says why and where.</summary>
    FormatError,
}

/// <summary>
/// What untrusted input may ask for. Every limit is checked before anything is allocated; element counts are
/// also bounded by the bytes present (an element takes at least one byte), so a declared count can never make
/// the reader allocate more than the input could fill.
/// </summary>
public sealed record MsgPackLimits
{
    public int MaxDepth { get; init; } = 64;

    public int MaxStringBytes { get; init; } = 1 << 20;

    public int MaxBinaryBytes { get; init; } = 256 << 20;

    /// <summary>The most elements of one array or pairs of one map.</summary>
    public int MaxElements { get; init; } = 16 << 20;

    public static MsgPackLimits Default { get; } = new();
}

/// <summary>The result of reading one value: status, value, bytes consumed, and the error where there is one.</summary>
public readonly record struct MsgPackReadResult(MsgPackReadStatus Status, MsgPackValue? Value, long Consumed, string? Error);

/// <summary>
/// Reads MessagePack from a <see cref="ReadOnlySequence{T}"/> (a pipe's buffer, possibly in segments). Running out
/// of bytes is a result, not an exception, so a partial TCP read is normal; a value that breaks the format or
/// the limits is a <see cref="MsgPackReadStatus.FormatError"/>, never an exception of another kind.
/// </summary>
public static class MsgPackReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <param name="inputIsComplete">True when no more bytes will come (a whole frame): running out is then a format error.</param>
    public static MsgPackReadResult Read(ReadOnlySequence<byte> input, MsgPackLimits limits, bool inputIsComplete)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var reader = new SequenceReader<byte>(input);
        var state = new State(limits, inputIsComplete);
        var value = state.ReadValue(ref reader, 0);
        if (state.Status == MsgPackReadStatus.NeedMoreBytes && inputIsComplete)
        {
            return new MsgPackReadResult(MsgPackReadStatus.FormatError, null, 0, $"truncated: the input ends inside a value at byte {reader.Consumed}");
        }

        return state.Status == MsgPackReadStatus.Complete
            ? new MsgPackReadResult(MsgPackReadStatus.Complete, value, reader.Consumed, null)
            : new MsgPackReadResult(state.Status, null, 0, state.Error);
    }

    /// <summary>Reads the first value of a complete input where it lies, without copying the input (a walk over concatenated values slices it by <see cref="MsgPackReadResult.Consumed"/>).</summary>
    public static MsgPackReadResult Read(ReadOnlyMemory<byte> input, MsgPackLimits limits) =>
        Read(new ReadOnlySequence<byte>(input), limits, inputIsComplete: true);

    private sealed class State(MsgPackLimits limits, bool complete)
    {
        public MsgPackReadStatus Status { get; private set; } = MsgPackReadStatus.Complete;

        public string? Error { get; private set; }

        public MsgPackValue? ReadValue(ref SequenceReader<byte> reader, int depth)
        {
            if (!reader.TryRead(out byte code))
            {
                return NeedMore();
            }

            long at = reader.Consumed - 1;
            switch (code)
            {
                case <= 0x7f:
                    return MsgPackValue.From((long)code);
                case >= 0xe0:
                    return MsgPackValue.From((long)(sbyte)code);
                case >= 0x80 and <= 0x8f:
                    return ReadMap(ref reader, code & 0x0f, depth, at);
                case >= 0x90 and <= 0x9f:
                    return ReadArray(ref reader, code & 0x0f, depth, at);
                case >= 0xa0 and <= 0xbf:
                    return ReadString(ref reader, code & 0x1f, at);
                case 0xc0:
                    return MsgPackValue.Nil;
                case 0xc1:
                    return Fail($"byte {at}: 0xc1 is never used in MessagePack");
                case 0xc2:
                    return MsgPackValue.False;
                case 0xc3:
                    return MsgPackValue.True;
                case 0xc4:
                case 0xc5:
                case 0xc6:
                    return TryLength(ref reader, code - 0xc4, out long binLength) ? ReadBinary(ref reader, binLength, at) : NeedMore();
                case 0xc7:
                case 0xc8:
                case 0xc9:
                    return TryLength(ref reader, code - 0xc7, out long extLength) ? ReadExtension(ref reader, extLength, at) : NeedMore();
                case 0xca:
                    return reader.TryReadBigEndian(out int singleBits) ? MsgPackValue.FromSingle(BitConverter.Int32BitsToSingle(singleBits)) : NeedMore();
                case 0xcb:
                    return reader.TryReadBigEndian(out long doubleBits) ? MsgPackValue.From(BitConverter.Int64BitsToDouble(doubleBits)) : NeedMore();
                case 0xcc:
                    return reader.TryRead(out byte u8) ? MsgPackValue.From((ulong)u8) : NeedMore();
                case 0xcd:
                    return reader.TryReadBigEndian(out short u16) ? MsgPackValue.From((ulong)(ushort)u16) : NeedMore();
                case 0xce:
                    return reader.TryReadBigEndian(out int u32) ? MsgPackValue.From((ulong)(uint)u32) : NeedMore();
                case 0xcf:
                    return reader.TryReadBigEndian(out long u64) ? MsgPackValue.From(unchecked((ulong)u64)) : NeedMore();
                case 0xd0:
                    return reader.TryRead(out byte i8) ? MsgPackValue.From((long)(sbyte)i8) : NeedMore();
                case 0xd1:
                    return reader.TryReadBigEndian(out short i16) ? MsgPackValue.From((long)i16) : NeedMore();
                case 0xd2:
                    return reader.TryReadBigEndian(out int i32) ? MsgPackValue.From((long)i32) : NeedMore();
                case 0xd3:
                    return reader.TryReadBigEndian(out long i64) ? MsgPackValue.From(i64) : NeedMore();
                case >= 0xd4 and <= 0xd8:
                    return ReadExtension(ref reader, 1L << (code - 0xd4), at);
                case 0xd9:
                case 0xda:
                case 0xdb:
                    return TryLength(ref reader, code - 0xd9, out long strLength) ? ReadString(ref reader, strLength, at) : NeedMore();
                case 0xdc:
                case 0xdd:
                    return TryLength(ref reader, code - 0xdc + 1, out long arrayCount) ? ReadArray(ref reader, arrayCount, depth, at) : NeedMore();
                default:
                    return TryLength(ref reader, code - 0xde + 1, out long mapCount) ? ReadMap(ref reader, mapCount, depth, at) : NeedMore();
            }
        }

        /// <summary>A big-endian length of 1, 2 or 4 bytes (width 0, 1, 2).</summary>
        private static bool TryLength(ref SequenceReader<byte> reader, int width, out long length)
        {
            length = 0;
            switch (width)
            {
                case 0:
                    bool ok8 = reader.TryRead(out byte b);
                    length = b;
                    return ok8;
                case 1:
                    bool ok16 = reader.TryReadBigEndian(out short s);
                    length = (ushort)s;
                    return ok16;
                default:
                    bool ok32 = reader.TryReadBigEndian(out int i);
                    length = (uint)i;
                    return ok32;
            }
        }

        private MsgPackValue? ReadArray(ref SequenceReader<byte> reader, long count, int depth, long at)
        {
            if (!CheckContainer(ref reader, count, 1, depth, at, "array"))
            {
                return null;
            }

            var items = new MsgPackValue[count];
            for (long i = 0; i < count; i++)
            {
                var item = ReadValue(ref reader, depth + 1);
                if (item is null)
                {
                    return null;
                }

                items[i] = item;
            }

            return MsgPackValue.FromArray(items);
        }

        private MsgPackValue? ReadMap(ref SequenceReader<byte> reader, long count, int depth, long at)
        {
            if (!CheckContainer(ref reader, count, 2, depth, at, "map"))
            {
                return null;
            }

            var pairs = new KeyValuePair<MsgPackValue, MsgPackValue>[count];
            for (long i = 0; i < count; i++)
            {
                var key = ReadValue(ref reader, depth + 1);
                if (key is null)
                {
                    return null;
                }

                var value = ReadValue(ref reader, depth + 1);
                if (value is null)
                {
                    return null;
                }

                pairs[i] = new(key, value);
            }

            return MsgPackValue.FromMap(pairs);
        }

        /// <summary>Depth, the element limit, and the count against the bytes present, before the container is allocated.</summary>
        private bool CheckContainer(ref SequenceReader<byte> reader, long count, int bytesPerElement, int depth, long at, string what)
        {
            if (depth + 1 > limits.MaxDepth)
            {
                Fail($"byte {at}: nesting deeper than {limits.MaxDepth}");
                return false;
            }

            if (count > limits.MaxElements)
            {
                Fail($"byte {at}: {what} of {count} elements exceeds the limit of {limits.MaxElements}");
                return false;
            }

            if (count * bytesPerElement > reader.Remaining)
            {
                if (complete)
                {
                    Fail($"byte {at}: {what} declares {count} elements but only {reader.Remaining} bytes remain");
                }
                else
                {
                    NeedMore();
                }

                return false;
            }

            return true;
        }

        private MsgPackValue? ReadString(ref SequenceReader<byte> reader, long length, long at)
        {
            if (length > limits.MaxStringBytes)
            {
                return Fail($"byte {at}: string of {length} bytes exceeds the limit of {limits.MaxStringBytes}");
            }

            if (reader.Remaining < length)
            {
                return NeedMore();
            }

            try
            {
                // Decoded straight from the buffer where the string lies in one segment (nearly always).
                var unread = reader.UnreadSpan;
                string text = unread.Length >= length ? StrictUtf8.GetString(unread[..(int)length]) : StrictUtf8.GetString(reader.UnreadSequence.Slice(0, length).ToArray());
                reader.Advance(length);
                return MsgPackValue.From(text);
            }
            catch (DecoderFallbackException)
            {
                return Fail($"byte {at}: string is not valid UTF-8");
            }
        }

        private MsgPackValue? ReadBinary(ref SequenceReader<byte> reader, long length, long at)
        {
            if (length > limits.MaxBinaryBytes)
            {
                return Fail($"byte {at}: bin of {length} bytes exceeds the limit of {limits.MaxBinaryBytes}");
            }

            return TryTake(ref reader, length, out var bytes) ? MsgPackValue.FromBinary(bytes) : NeedMore();
        }

        private MsgPackValue? ReadExtension(ref SequenceReader<byte> reader, long length, long at)
        {
            if (length > limits.MaxBinaryBytes)
            {
                return Fail($"byte {at}: ext of {length} bytes exceeds the limit of {limits.MaxBinaryBytes}");
            }

            if (!reader.TryRead(out byte typeByte) || !TryTake(ref reader, length, out var data))
            {
                return NeedMore();
            }

            sbyte type = unchecked((sbyte)typeByte);
            return type == -1 ? ReadTimestamp(data, at) : MsgPackValue.FromExtension(type, data);
        }

        private MsgPackValue? ReadTimestamp(byte[] data, long at)
        {
            switch (data.Length)
            {
                case 4:
                    return MsgPackValue.FromTimestamp(BinaryPrimitives.ReadUInt32BigEndian(data), 0);
                case 8:
                    ulong packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                    uint nanoseconds64 = (uint)(packed >> 34);
                    return nanoseconds64 <= 999_999_999 ? MsgPackValue.FromTimestamp((long)(packed & 0x3_FFFF_FFFFUL), nanoseconds64) : Fail($"byte {at}: timestamp nanoseconds {nanoseconds64} exceed 999999999");
                case 12:
                    uint nanoseconds96 = BinaryPrimitives.ReadUInt32BigEndian(data);
                    return nanoseconds96 <= 999_999_999 ? MsgPackValue.FromTimestamp(BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(4)), nanoseconds96) : Fail($"byte {at}: timestamp nanoseconds {nanoseconds96} exceed 999999999");
                default:
                    return Fail($"byte {at}: a timestamp (ext -1) has 4, 8 or 12 bytes, not {data.Length}");
            }
        }

        /// <summary>Copies the next bytes out, only once they are all present (the allocation is bounded by the input).</summary>
        private static bool TryTake(ref SequenceReader<byte> reader, long length, out byte[] bytes)
        {
            if (reader.Remaining < length)
            {
                bytes = [];
                return false;
            }

            bytes = new byte[length];
            reader.TryCopyTo(bytes);
            reader.Advance(length);
            return true;
        }

        private MsgPackValue? NeedMore()
        {
            if (Status == MsgPackReadStatus.Complete)
            {
                Status = MsgPackReadStatus.NeedMoreBytes;
            }

            return null;
        }

        private MsgPackValue? Fail(string error)
        {
            Status = MsgPackReadStatus.FormatError;
            Error = error;
            return null;
        }
    }
}
