using System.Buffers;
using System.Buffers.Binary;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Protocol;

public enum FrameStatus
{
    Complete,
    NeedMoreBytes,

    /// <summary>The declared length exceeds the limit: the frame is refused before any of it is buffered.</summary>
    TooLarge,

    /// <summary>The payload is not one MessagePack value filling the frame.</summary>
    BadFrame,
}

/// <summary>One frame read off the stream: its status, the value, the bytes it took, and why it was refused.</summary>
public readonly record struct FrameResult(FrameStatus Status, MsgPackValue? Value, long Consumed, long DeclaredLength, string? Error);

/// <summary>Frames of the socket protocol: a 4-byte big-endian length, then exactly one MessagePack value.</summary>
public static class Framing
{
    public const int HeaderBytes = 4;

    /// <summary>Reads one frame from the front of <paramref name="buffer"/>.</summary>
    public static FrameResult TryRead(ReadOnlySequence<byte> buffer, int maxFrameBytes, MsgPackLimits limits)
    {
        if (buffer.Length < HeaderBytes)
        {
            return new FrameResult(FrameStatus.NeedMoreBytes, null, 0, 0, null);
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        buffer.Slice(0, HeaderBytes).CopyTo(header);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > maxFrameBytes)
        {
            return new FrameResult(FrameStatus.TooLarge, null, 0, length, $"frame of {length} bytes exceeds the limit of {maxFrameBytes}");
        }

        if (buffer.Length < HeaderBytes + length)
        {
            return new FrameResult(FrameStatus.NeedMoreBytes, null, 0, length, null);
        }

        var payload = buffer.Slice(HeaderBytes, length);
        var read = MsgPackReader.Read(payload, limits, inputIsComplete: true);
        long consumed = HeaderBytes + length;
        if (read.Status != MsgPackReadStatus.Complete)
        {
            return new FrameResult(FrameStatus.BadFrame, null, consumed, length, read.Error);
        }

        return read.Consumed != length
            ? new FrameResult(FrameStatus.BadFrame, null, consumed, length, $"{length - read.Consumed} bytes follow the value inside the frame")
            : new FrameResult(FrameStatus.Complete, read.Value, consumed, length, null);
    }

    /// <summary>Encodes a value as one frame.</summary>
    public static byte[] Encode(MsgPackValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Encode(value, buffer);
        return buffer.WrittenMemory.ToArray();
    }

    /// <summary>Encodes a value as one frame at the end of <paramref name="buffer"/> (a connection reuses one buffer for all its answers).</summary>
    public static void Encode(MsgPackValue value, ArrayBufferWriter<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        int start = buffer.WrittenCount;
        buffer.GetSpan(HeaderBytes);
        buffer.Advance(HeaderBytes);
        new MsgPackWriter(buffer).Write(value);
        var header = System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer.WrittenMemory).Span.Slice(start, HeaderBytes);
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)(buffer.WrittenCount - start - HeaderBytes));
    }
}
