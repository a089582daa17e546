using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Host.Server.Operations;
using Shardcast.Kernels;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Bench.Protocol;

/// <summary>
/// `plan-path [--partitions 2000,20000] [--repeats R] [--port P]`: one plan as the socket serves it against the same
/// plan read from a file and written to one, in one process. The search is the greedy rebalancer at a fixed seed, so
/// both sides plan the same thing and what differs is the path around it. File: read the file's bytes, parse,
/// plan, write the indented plan file. Request: decode the request's frame, bridge its body to the cluster file's
/// JSON and parse it (`ClusterRequest.Read`, the one validator), plan, build the answer (`PlanOperation.Answer`) and
/// encode its frame. With `--port`, a third column sends the same request to a running server over loopback
/// (client encoding and decoding, the network and the server's scheduling included). Medians after two warm-up runs.
/// </summary>
internal static class PlanPath
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static async Task RunAsync(IReadOnlyList<int> partitionCounts, int repeats, int? port, TextWriter output)
    {
        output.WriteLine(string.Create(C, $"plan with the greedy rebalancer (seed 1), generated clusters P/(P/50)/12/2 (seed 1); median of {repeats} runs after 2 warm-up runs"));
        output.WriteLine(port is null
            ? "| partitions | request bytes | file ms | request ms | request / file |\n| ---: | ---: | ---: | ---: | ---: |"
            : "| partitions | request bytes | file ms | request ms | request / file | over loopback ms | loopback / file |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        await using var client = port is { } p ? await ShardcastClient.ConnectAsync("127.0.0.1", p) : null;
        var options = new PlanOptions { Algorithm = SearchAlgorithm.Greedy, Seed = 1 };
        foreach (int partitions in partitionCounts)
        {
            var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, Math.Max(2, partitions / 50), 12, 2, 1));
            string file = Path.Combine(Path.GetTempPath(), $"shardcast-plan-path-{partitions}.json");
            using (var stream = File.Create(file))
            {
                ClusterFileWriter.Write(spec, stream, indented: false);
            }

            MsgPackValue body;
            using (var json = JsonDocument.Parse(File.ReadAllBytes(file)))
            {
                var cluster = MsgPackJson.FromJson(json.RootElement);
                var wireOptions = MsgPackValue.Map(("algorithm", MsgPackValue.From("greedy")), ("seed", MsgPackValue.From(1L)));
                body = MsgPackValue.FromMap([.. cluster.Pairs.Where(p => p.Key.String != "search"), new(MsgPackValue.From("options"), wireOptions)]);
            }

            byte[] frame = Framing.Encode(body);
            var fileTimes = new List<double>();
            var requestTimes = new List<double>();
            var loopbackTimes = new List<double>();
            for (int r = 0; r < repeats + 2; r++)
            {
                long start = Stopwatch.GetTimestamp();
                var plan = Planner.Plan(ClusterFileReader.ReadFile(file), options);
                using (var stream = new MemoryStream())
                {
                    PlanFileWriter.Write(plan, stream);
                }

                double fileMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                start = Stopwatch.GetTimestamp();
                var request = Framing.TryRead(new ReadOnlySequence<byte>(frame), int.MaxValue, MsgPackLimits.Default).Value!;
                var (read, _) = ClusterRequest.Read(request, "options");
                _ = Framing.Encode(PlanOperation.Answer(Planner.Plan(read, options)));
                double requestMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                double loopbackMs = 0;
                if (client is not null)
                {
                    start = Stopwatch.GetTimestamp();
                    await client.CallAsync("plan", body);
                    loopbackMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                if (r >= 2)
                {
                    fileTimes.Add(fileMs);
                    requestTimes.Add(requestMs);
                    loopbackTimes.Add(loopbackMs);
                }
            }

            double f = Median(fileTimes), q = Median(requestTimes), l = Median(loopbackTimes);
            output.WriteLine(client is null
                ? string.Create(C, $"| {partitions} | {frame.Length - Framing.HeaderBytes} | {f:0.0} | {q:0.0} | {q / f:0.00} |")
                : string.Create(C, $"| {partitions} | {frame.Length - Framing.HeaderBytes} | {f:0.0} | {q:0.0} | {q / f:0.00} | {l:0.0} | {l / f:0.00} |"));
            File.Delete(file);
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
