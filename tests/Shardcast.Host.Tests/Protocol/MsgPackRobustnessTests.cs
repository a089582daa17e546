using System.Buffers;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Tests.Protocol;

/// <summary>Untrusted input: limits hold before allocation, and random or mutated input only ever gives a value or a format error.</summary>
public class MsgPackRobustnessTests
{
    [Theory]
    [InlineData("dd-ff-ff-ff-ff", "array of 4294967295 elements exceeds the limit")]
    [InlineData("dd-00-0f-ff-ff-01", "declares 1048575 elements but only 1 bytes remain")]
    [InlineData("df-7f-ff-ff-ff-00", "exceeds the limit")]
    [InlineData("db-7f-ff-ff-ff", "exceeds the limit")]
    [InlineData("c6-ff-ff-ff-ff", "exceeds the limit")]
    [InlineData("c1", "0xc1 is never used")]
    [InlineData("a2-c3-28", "not valid UTF-8")]
    [InlineData("d7-ff-ff-ff-ff-ff-00-00-00-00", "nanoseconds")]
    [InlineData("c7-03-ff-00-00-00", "4, 8 or 12 bytes")]
    [InlineData("92-01", "declares 2 elements but only 1 bytes remain")]
    public void Hostile_headers_are_format_errors_naming_the_problem(string hex, string expected)
    {
        var limits = new MsgPackLimits { MaxElements = 1 << 20, MaxStringBytes = 1 << 20, MaxBinaryBytes = 1 << 20 };
        var result = MsgPackReader.Read(MsgPackConformanceTests.Bytes(hex), limits);
        Assert.Equal(MsgPackReadStatus.FormatError, result.Status);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_the_first_value_of_a_large_buffer_does_not_copy_the_buffer()
    {
        // The span overload once copied its whole input on every call, so walking concatenated records was quadratic.
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MsgPackWriter(buffer);
        writer.Write(MsgPackValue.Map(("id", MsgPackValue.From(7L))));
        writer.Write(MsgPackValue.FromBinary(new byte[4 << 20]));
        var input = buffer.WrittenMemory;
        MsgPackReader.Read(input, MsgPackLimits.Default);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var first = MsgPackReader.Read(input, MsgPackLimits.Default);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(7L, first.Value!["id"]!.Int);
        Assert.True(allocated < 64 << 10, $"reading a 13-byte map allocated {allocated} bytes of a {input.Length}-byte input");
    }

    [Fact]
    public void Concatenated_records_are_walked_one_after_another_in_place()
    {
        const int Records = 200_000;
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MsgPackWriter(buffer);
        for (int i = 0; i < Records; i++)
        {
            writer.Write(MsgPackValue.Map(("seq", MsgPackValue.From((long)i)), ("node", MsgPackValue.From($"n{i % 7}"))));
        }

        var rest = buffer.WrittenMemory;
        int read = 0;
        while (!rest.IsEmpty)
        {
            var result = MsgPackReader.Read(rest, MsgPackLimits.Default);
            Assert.Equal(MsgPackReadStatus.Complete, result.Status);
            Assert.Equal(read, result.Value!["seq"]!.Int);
            rest = rest[(int)result.Consumed..];
            read++;
        }

        Assert.Equal(Records, read);
    }

    [Fact]
    public void A_declared_count_beyond_the_bytes_present_waits_for_more_without_allocating_it()
    {
        // 2^31 elements declared, 3 bytes present: on a stream that is "need more", never an allocation of the count.
        var result = MsgPackReader.Read(new ReadOnlySequence<byte>(MsgPackConformanceTests.Bytes("dd-7f-ff-ff-ff-01-02-03")), new MsgPackLimits { MaxElements = int.MaxValue }, inputIsComplete: false);
        Assert.Equal(MsgPackReadStatus.NeedMoreBytes, result.Status);
    }

    [Fact]
    public void Nesting_bombs_stop_at_the_depth_limit()
    {
        var bomb = Enumerable.Repeat((byte)0x91, 100_000).Append((byte)0xc0).ToArray();
        var result = MsgPackReader.Read(bomb, MsgPackLimits.Default);
        Assert.Equal(MsgPackReadStatus.FormatError, result.Status);
        Assert.Contains("nesting deeper than 64", result.Error, StringComparison.Ordinal);
        var fine = Enumerable.Repeat((byte)0x91, 63).Append((byte)0xc0).ToArray();
        Assert.Equal(MsgPackReadStatus.Complete, MsgPackReader.Read(fine, MsgPackLimits.Default).Status);
    }

    [Fact]
    public void Random_and_mutated_inputs_only_give_values_or_format_errors()
    {
        var random = new Random(2026);
        var seeds = Seeds();
        for (int trial = 0; trial < 20_000; trial++)
        {
            byte[] input;
            if (trial % 3 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])seeds[random.Next(seeds.Count)].Clone();
                int mutations = 1 + random.Next(4);
                for (int m = 0; m < mutations && input.Length > 0; m++)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }

                if (random.Next(4) == 0)
                {
                    input = input[..random.Next(input.Length + 1)];
                }
            }

            var result = MsgPackReader.Read(input, new MsgPackLimits { MaxElements = 1 << 16, MaxBinaryBytes = 1 << 16, MaxStringBytes = 1 << 16 });
            Assert.True(result.Status is MsgPackReadStatus.Complete or MsgPackReadStatus.FormatError);
            Assert.Equal(result.Status == MsgPackReadStatus.Complete, result.Value is not null);
            if (result.Value is { } value)
            {
                // What decodes re-encodes and decodes to the same value.
                var buffer = new ArrayBufferWriter<byte>();
                new MsgPackWriter(buffer).Write(value);
                var again = MsgPackReader.Read(buffer.WrittenMemory, MsgPackLimits.Default);
                Assert.Equal(value.ToString(), again.Value!.ToString());
            }
        }
    }

    private static List<byte[]> Seeds()
    {
        var values = new[]
        {
            MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(7L)), ("op", MsgPackValue.From("plan")), ("body", MsgPackValue.Map(("x", MsgPackValue.From(1.5))))),
            MsgPackValue.FromArray([MsgPackValue.From(-1000L), MsgPackValue.From(ulong.MaxValue), MsgPackValue.FromTimestamp(1_700_000_000, 5), MsgPackValue.FromExtension(3, [1, 2, 3])]),
            MsgPackValue.FromBinary(new byte[300]),
            MsgPackValue.From(new string('x', 70_000)),
        };
        return [.. values.Select(v =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            new MsgPackWriter(buffer).Write(v);
            return buffer.WrittenSpan.ToArray();
        })];
    }
}
