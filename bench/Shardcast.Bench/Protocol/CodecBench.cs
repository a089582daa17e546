using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Bench.Protocol;

/// <summary>
/// `codec`: MessagePack throughput of the protocol's codec, in MB of encoded bytes per second: a bulk frame
/// (one 16 MiB bin of float32, as a NumPy client sends load), and a typical plan response (the plan file of a
/// generated 10k-partition cluster as a map), decoded and encoded.
/// </summary>
internal static class CodecBench
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Run(double seconds, TextWriter output)
    {
        var bulk = new byte[16 << 20];
        new Random(1).NextBytes(bulk);
        var bulkValue = MsgPackValue.Map(("id", MsgPackValue.From("p1")), ("values", MsgPackValue.FromBinary(bulk)));
        var spec = ClusterGenerator.Generate(new GeneratorOptions(10_000, 100, 12, 2, 1));
        var plan = Planner.Plan(spec, new PlanOptions { StepsPerChain = 2000, Seed = 1 });
        using var json = JsonDocument.Parse(PlanFileWriter.ToJson(plan));
        var planValue = MsgPackJson.FromJson(json.RootElement);
        output.WriteLine(string.Create(C, $"codec throughput ({seconds:0.#} s per figure, 1 thread)"));
        Measure("bulk float32 bin (16 MiB frame)", bulkValue, seconds, output);
        Measure($"plan response (10k partitions, {plan.Moves.Count} moves)", planValue, seconds, output);
    }

    private static void Measure(string name, MsgPackValue value, double seconds, TextWriter output)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new MsgPackWriter(buffer).Write(value);
        var encoded = new ReadOnlySequence<byte>(buffer.WrittenMemory.ToArray());
        var limits = new MsgPackLimits { MaxBinaryBytes = int.MaxValue, MaxElements = int.MaxValue };
        double decode = Rate(encoded.Length, seconds, () =>
        {
            var result = MsgPackReader.Read(encoded, limits, inputIsComplete: true);
            if (result.Status != MsgPackReadStatus.Complete)
            {
                throw new InvalidOperationException(result.Error);
            }
        });
        var sink = new ArrayBufferWriter<byte>((int)encoded.Length);
        double encode = Rate(encoded.Length, seconds, () =>
        {
            sink.ResetWrittenCount();
            new MsgPackWriter(sink).Write(value);
        });
        output.WriteLine(string.Create(C, $"  {name}: {encoded.Length / 1e6:0.00} MB encoded; decode {decode:0} MB/s, encode {encode:0} MB/s"));
    }

    private static double Rate(long bytes, double seconds, Action work)
    {
        work();
        long rounds = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            work();
            rounds++;
        }

        return bytes * rounds / clock.Elapsed.TotalSeconds / 1e6;
    }
}
