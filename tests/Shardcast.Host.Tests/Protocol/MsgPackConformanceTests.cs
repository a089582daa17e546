using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Tests.Protocol;

/// <summary>Every case of msgpack-test-suite: each listed encoding decodes to the value; the value encodes to one of them, the shortest of its kind.</summary>
public class MsgPackConformanceTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var group in Suite().EnumerateObject())
        {
            for (int i = 0; i < group.Value.GetArrayLength(); i++)
            {
                data.Add(group.Name, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_listed_encoding_decodes_to_the_value(string group, int index)
    {
        var (expected, encodings) = Case(group, index);
        foreach (var hex in encodings)
        {
            var result = MsgPackReader.Read(Bytes(hex), MsgPackLimits.Default);
            Assert.True(result.Status == MsgPackReadStatus.Complete, $"{hex}: {result.Error}");
            Assert.Equal(Bytes(hex).Length, result.Consumed);
            Assert.True(Equivalent(expected, result.Value!), $"{hex} decoded to {result.Value}, expected {expected}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_value_encodes_to_the_shortest_listed_encoding_of_its_kind(string group, int index)
    {
        var (expected, encodings) = Case(group, index);
        var buffer = new ArrayBufferWriter<byte>();
        new MsgPackWriter(buffer).Write(expected);
        string written = Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
        var listed = encodings.Select(e => e.Replace("-", "", StringComparison.Ordinal)).ToList();
        Assert.Contains(written, listed);
        var sameKind = listed.Where(e => Family(e) == Family(written)).ToList();
        Assert.Equal(sameKind.Min(e => e.Length), written.Length);
    }

    [Fact]
    public void Partial_input_needs_more_bytes_at_every_cut_and_then_decodes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var value = MsgPackValue.Map(("a", MsgPackValue.FromArray([MsgPackValue.From(1L), MsgPackValue.From("héllo"), MsgPackValue.FromSingle(2.5f)])), ("b", MsgPackValue.FromBinary([1, 2, 3])));
        new MsgPackWriter(buffer).Write(value);
        var bytes = buffer.WrittenSpan.ToArray();
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            var partial = MsgPackReader.Read(new ReadOnlySequence<byte>(bytes, 0, cut), MsgPackLimits.Default, inputIsComplete: false);
            Assert.Equal(MsgPackReadStatus.NeedMoreBytes, partial.Status);
            var truncated = MsgPackReader.Read(new ReadOnlySequence<byte>(bytes, 0, cut), MsgPackLimits.Default, inputIsComplete: true);
            Assert.Equal(MsgPackReadStatus.FormatError, truncated.Status);
        }

        var whole = MsgPackReader.Read(Segmented(bytes, 3), MsgPackLimits.Default, inputIsComplete: false);
        Assert.Equal(MsgPackReadStatus.Complete, whole.Status);
        Assert.Equal(value.ToString(), whole.Value!.ToString());
    }

    internal static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (int i = 0; i < bytes.Length; i += size)
        {
            var chunk = bytes.AsMemory(i, Math.Min(size, bytes.Length - i));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private static string Family(string hex)
    {
        int code = Convert.ToInt32(hex[..2], 16);
        return code is 0xca or 0xcb ? "float" : code is <= 0x7f or >= 0xe0 or (>= 0xcc and <= 0xd3) ? "integer" : "other";
    }

    private static JsonElement Suite()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "msgpack", "msgpack-test-suite.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    private static (MsgPackValue Expected, string[] Encodings) Case(string group, int index)
    {
        var c = Suite().GetProperty(group)[index];
        var encodings = c.GetProperty("msgpack").EnumerateArray().Select(e => e.GetString()!).ToArray();
        return (Expected(c), encodings);
    }

    private static MsgPackValue Expected(JsonElement c)
    {
        if (c.TryGetProperty("bignum", out var bignum))
        {
            string text = bignum.GetString()!;
            return text.StartsWith('-') ? MsgPackValue.From(long.Parse(text, CultureInfo.InvariantCulture)) : MsgPackValue.From(ulong.Parse(text, CultureInfo.InvariantCulture));
        }

        foreach (var p in c.EnumerateObject())
        {
            switch (p.Name)
            {
                case "nil": return MsgPackValue.Nil;
                case "bool": return MsgPackValue.From(p.Value.GetBoolean());
                case "binary": return MsgPackValue.FromBinary(Bytes(p.Value.GetString()!));
                case "number": return FromJson(p.Value);
                case "string": return MsgPackValue.From(p.Value.GetString()!);
                case "array":
                case "map": return FromJson(p.Value);
                case "timestamp": return MsgPackValue.FromTimestamp(p.Value[0].GetInt64(), p.Value[1].GetUInt32());
                case "ext": return MsgPackValue.FromExtension((sbyte)p.Value[0].GetInt32(), Bytes(p.Value[1].GetString()!));
            }
        }

        throw new InvalidOperationException("Unknown case " + c);
    }

    private static MsgPackValue FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetInt64(out long l) && !e.GetRawText().Contains('.', StringComparison.Ordinal) => MsgPackValue.From(l),
        JsonValueKind.Number => MsgPackValue.From(e.GetDouble()),
        JsonValueKind.String => MsgPackValue.From(e.GetString()!),
        JsonValueKind.Array => MsgPackValue.FromArray([.. e.EnumerateArray().Select(FromJson)]),
        JsonValueKind.Object => MsgPackValue.FromMap([.. e.EnumerateObject().Select(p => new KeyValuePair<MsgPackValue, MsgPackValue>(MsgPackValue.From(p.Name), FromJson(p.Value)))]),
        JsonValueKind.True => MsgPackValue.True,
        JsonValueKind.False => MsgPackValue.False,
        _ => MsgPackValue.Nil,
    };

    private static bool Equivalent(MsgPackValue expected, MsgPackValue actual)
    {
        bool expectedNumber = expected.Kind is MsgPackKind.Integer or MsgPackKind.Float;
        bool actualNumber = actual.Kind is MsgPackKind.Integer or MsgPackKind.Float;
        if (expectedNumber && actualNumber)
        {
            if (expected.Kind == MsgPackKind.Integer && actual.Kind == MsgPackKind.Integer)
            {
                return expected.ToString() == actual.ToString();
            }

            return expected.AsDouble() == actual.AsDouble();
        }

        if (expected.Kind != actual.Kind)
        {
            return false;
        }

        return expected.Kind switch
        {
            MsgPackKind.Array => expected.Items.Count == actual.Items.Count && expected.Items.Zip(actual.Items).All(p => Equivalent(p.First, p.Second)),
            MsgPackKind.Map => expected.Pairs.Count == actual.Pairs.Count && expected.Pairs.Zip(actual.Pairs).All(p => Equivalent(p.First.Key, p.Second.Key) && Equivalent(p.First.Value, p.Second.Value)),
            _ => expected.ToString() == actual.ToString(),
        };
    }

    internal static byte[] Bytes(string hex) => hex.Length == 0 ? [] : Convert.FromHexString(hex.Replace("-", "", StringComparison.Ordinal));
}
