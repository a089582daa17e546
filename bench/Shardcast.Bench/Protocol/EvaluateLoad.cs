using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Bench.Protocol;

/// <summary>
/// `evaluate-load --port P`: requests per second and p50/p99 latency of `evaluate` against a running server, for
/// 1, 16 and 64 concurrent clients (one connection each, one request at a time, as a planner's workers would).
/// The 1k-partition cluster (generated: 1000/50/12/4, seed 1) is sent once with `cache_as`; each request then
/// names it and carries a candidate assignment as bin of int32: a plan's assignment with 0 to 3 partitions moved
/// at random (some of them break a constraint and are answered with its words).
/// </summary>
internal static class EvaluateLoad
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static async Task RunAsync(int port, IReadOnlyList<int> clientCounts, double seconds, TextWriter output)
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(1000, 50, 12, 4, 1));
        using var stream = new MemoryStream();
        ClusterFileWriter.Write(spec, stream, indented: false);
        using var json = JsonDocument.Parse(stream.ToArray());
        var cluster = MsgPackJson.FromJson(json.RootElement);
        // Candidates around a good plan, as a planner's workers would send them: the plan's assignment with a few moves.
        // The cluster is cached with the plan's assignment, which the server then evaluates candidates against.
        var plan = Shardcast.Engine.Planning.Planner.Plan(spec, new Shardcast.Engine.Planning.PlanOptions { StepsPerChain = 2000, Seed = 1 }).Assignment;
        await using (var setup = await ShardcastClient.ConnectAsync("127.0.0.1", port))
        {
            var first = MsgPackValue.FromMap([.. cluster.Pairs, new(MsgPackValue.From("cache_as"), MsgPackValue.From("bench")), new(MsgPackValue.From("assignment"), Assignment(plan, new Random(0), 0))]);
            await setup.CallAsync("evaluate", first);
        }

        output.WriteLine(string.Create(C, $"evaluate on a cached 1000-partition, 50-node, H=12, R=4 cluster; a plan's assignment with 0-3 random moves as int32 bin; {seconds:0.#} s per row"));
        output.WriteLine("| clients | requests/s | p50 ms | p99 ms |");
        output.WriteLine("| ---: | ---: | ---: | ---: |");
        foreach (int clients in clientCounts)
        {
            var latencies = new List<double>[clients];
            var connections = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => ShardcastClient.ConnectAsync("127.0.0.1", port)));
            var bodies = Enumerable.Range(0, 64).Select(i => MsgPackValue.Map(("cluster", MsgPackValue.From("bench")), ("assignment", Assignment(plan, new Random(i + 1), i % 4)), ("node_peaks", MsgPackValue.False))).ToArray();
            var clock = Stopwatch.StartNew();
            var until = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                var mine = latencies[c] = new List<double>(100_000);
                int i = c;
                while (clock.Elapsed < until)
                {
                    long start = Stopwatch.GetTimestamp();
                    await connections[c].CallAsync("evaluate", bodies[i++ % bodies.Length]);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            })));
            double elapsed = clock.Elapsed.TotalSeconds;
            var all = latencies.SelectMany(l => l).Order().ToArray();
            output.WriteLine(string.Create(C, $"| {clients} | {all.Length / elapsed:0} | {all[all.Length / 2]:0.000} | {all[(int)(all.Length * 0.99)]:0.000} |"));
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>In-process cost of one evaluation (fast evaluator and reference) on the bench's assignments, for comparison with the served figures.</summary>
    public static void Local(TextWriter output)
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(1000, 50, 12, 4, 1));
        var input = Shardcast.Engine.Planning.PlanningInput.From(spec);
        var planned = Shardcast.Engine.Planning.Planner.Plan(spec, new Shardcast.Engine.Planning.PlanOptions { StepsPerChain = 2000, Seed = 1 }).Assignment;
        var evaluator = new Shardcast.Engine.Planning.AssignmentEvaluator(input, planned);
        foreach (var (name, start, moves) in new[] { ("start", input.Initial, 0), ("start", input.Initial, 10), ("plan", planned, 0), ("plan", planned, 1), ("plan", planned, 3) })
        {
            var random = new Random(moves);
            var assignment = (int[])start.Clone();
            for (int m = 0; m < moves; m++)
            {
                assignment[random.Next(assignment.Length)] = random.Next(50);
            }

            bool broken = Shardcast.Engine.Planning.ReferenceCost.Evaluate(input, assignment).Broken.Count > 0;
            double fast = Time(() => evaluator.Evaluate(assignment));
            double reference = Time(() => Shardcast.Engine.Planning.ReferenceCost.Evaluate(input, assignment));
            output.WriteLine(string.Create(C, $"  the {name} with {moves,2} random moves (broken: {broken}): evaluator {fast:0.0} us, reference {reference:0.0} us"));
        }
    }

    private static double Time(Action work)
    {
        // Warmed for a second first, so tiered compilation has settled before the timed half second.
        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 1000)
        {
            work();
        }

        var clock = Stopwatch.StartNew();
        int rounds = 0;
        while (clock.ElapsedMilliseconds < 500)
        {
            work();
            rounds++;
        }

        return clock.Elapsed.TotalMilliseconds * 1000 / rounds;
    }

    /// <summary>The start with <paramref name="moves"/> random partitions on random nodes, as little-endian int32.</summary>
    private static MsgPackValue Assignment(int[] initial, Random random, int moves)
    {
        var nodes = (int[])initial.Clone();
        for (int m = 0; m < moves; m++)
        {
            nodes[random.Next(nodes.Length)] = random.Next(50);
        }

        var bytes = new byte[nodes.Length * 4];
        for (int p = 0; p < nodes.Length; p++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(p * 4), nodes[p]);
        }

        return MsgPackValue.FromBinary(bytes);
    }
}
