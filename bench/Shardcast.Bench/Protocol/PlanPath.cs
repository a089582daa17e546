using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Bench.Protocol;

/// <summary>
/// `plan-path --port P [--partitions N]`: one plan sent over the socket against the same plan read from a file and
/// written to one, in one process. The search is the greedy rebalancer at a fixed seed, so both sides plan the same
/// thing and what differs is the path around it: on the file side reading the file's bytes, parsing, planning and
/// writing the plan file; on the socket side the client encoding the cluster, the frame, the server's decoding and
/// bridging, the same plan, the answer's encoding and the client's decoding. Medians of repeated runs, and their ratio.
/// </summary>
internal static class PlanPath
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static async Task RunAsync(int port, IReadOnlyList<int> partitionCounts, int repeats, TextWriter output)
    {
        output.WriteLine(string.Create(C, $"plan with the greedy rebalancer (seed 1), generated clusters P/(P/50)/12/2; median of {repeats} runs each"));
        output.WriteLine("| partitions | request bytes (MessagePack) | file ms | socket ms | socket / file |");
        output.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        await using var client = await ShardcastClient.ConnectAsync("127.0.0.1", port);
        foreach (int partitions in partitionCounts)
        {
            var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, Math.Max(2, partitions / 50), 12, 2, 1));
            string file = Path.Combine(Path.GetTempPath(), $"shardcast-plan-path-{partitions}.json");
            string planFile = Path.ChangeExtension(file, ".plan.json");
            using (var stream = File.Create(file))
            {
                ClusterFileWriter.Write(spec, stream, indented: false);
            }

            MsgPackValue body;
            using (var json = JsonDocument.Parse(File.ReadAllBytes(file)))
            {
                var cluster = MsgPackJson.FromJson(json.RootElement);
                var options = MsgPackValue.Map(("algorithm", MsgPackValue.From("greedy")), ("seed", MsgPackValue.From(1L)));
                body = MsgPackValue.FromMap([.. cluster.Pairs.Where(p => p.Key.String != "search"), new(MsgPackValue.From("options"), options)]);
            }

            long requestBytes = Framing.Encode(body).Length - 4;
            var fileTimes = new List<double>();
            var socketTimes = new List<double>();
            for (int r = 0; r < repeats + 1; r++)
            {
                long start = Stopwatch.GetTimestamp();
                var read = ClusterFileReader.ReadFile(file);
                var plan = Planner.Plan(read, new PlanOptions { Algorithm = Kernels.SearchAlgorithm.Greedy, Seed = 1 });
                using (var stream = File.Create(planFile))
                {
                    PlanFileWriter.Write(plan, stream);
                }

                double fileMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                start = Stopwatch.GetTimestamp();
                await client.CallAsync("plan", body);
                double socketMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (r > 0)
                {
                    // The first of each is a warm-up (JIT, the server's first plan).
                    fileTimes.Add(fileMs);
                    socketTimes.Add(socketMs);
                }
            }

            double f = Median(fileTimes), s = Median(socketTimes);
            output.WriteLine(string.Create(C, $"| {partitions} | {requestBytes} | {f:0.0} | {s:0.0} | {s / f:0.00} |"));
            File.Delete(file);
            File.Delete(planFile);
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
