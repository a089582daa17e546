using System.Buffers.Binary;
using System.Net.Sockets;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Tests.Server;

/// <summary>
/// While a well-behaved client keeps getting correct answers, other connections send 100k malformed frames
/// (random bytes, mutated valid frames, absurd declared lengths, nesting bombs, huge element counts, bodies of
/// the wrong shape): the server stays up, answers the good client throughout, and its memory returns to its
/// baseline afterwards. Runs alone (no other test class in parallel), so the memory it measures is the server's.
/// </summary>
[Collection(RunsAlone.Name)]
public class ServerRobustnessTests
{
    private const int Frames = 100_000;
    private const int Attackers = 4;
    private const int BatchSize = 50;
    private const int Phases = 20;

    [Fact]
    public async Task Hundred_thousand_malformed_frames_leave_the_server_serving_and_its_memory_at_baseline()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Server:MaxFrameBytes"] = "4194304" });
        await using var good = await server.ConnectAsync();
        var series = MsgPackValue.Map(("values", MsgPackValue.FromArray(Enumerable.Range(0, 200).Select(t => MsgPackValue.From(10.0 + (t % 24))))), ("step_seconds", MsgPackValue.From(3600L)));
        var forecastBody = MsgPackValue.Map(("series", MsgPackValue.FromArray([series])), ("model", MsgPackValue.From("snaive")), ("horizon", MsgPackValue.From(3L)));
        var expected = (await good.CallAsync("forecast", forecastBody))["forecasts"]!.ToString();
        long baseline = Settle();

        // The attack runs in phases; in each, the good client asks while the attackers send their share, and must get
        // the right answer before the next phase starts. What is checked is that every answer comes and is right
        // while malformed traffic is in flight, not how many answers fit into the attack's duration.
        int sent = 0;
        for (int phase = 0; phase < Phases; phase++)
        {
            int phaseEnd = (phase + 1) * (Frames / Phases);
            int seedBase = 1000 * (phase + 1);
            var attackers = Enumerable.Range(0, Attackers).Select(a => Task.Run(async () =>
            {
                var random = new Random(seedBase + a);
                var seeds = Seeds();
                while (Interlocked.Add(ref sent, BatchSize) <= phaseEnd)
                {
                    await SendBatchAsync(server.Port, Batch(random, seeds));
                }

                Interlocked.Add(ref sent, -BatchSize);
            })).ToArray();
            var answer = await good.CallAsync("forecast", forecastBody).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(expected, answer["forecasts"]!.ToString());
            await Task.WhenAll(attackers);
        }

        Assert.True(server.Server.FramesRead >= Frames, $"the server read {server.Server.FramesRead} frames");
        Assert.Equal(expected, (await good.CallAsync("forecast", forecastBody))["forecasts"]!.ToString());
        // Attack connections close once their last queued requests are answered; on a loaded CI machine that takes a while.
        await Eventually.UntilAsync(() => server.Server.OpenConnections == 1, TimeSpan.FromSeconds(60), "every attack connection closes");
        long after = Settle();
        Assert.True(after < baseline + (48L << 20), $"managed memory {baseline >> 20} MiB before, {after >> 20} MiB after");
    }

    private static long Settle()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Sends a batch on a fresh connection, closes the sending side, and drains whatever comes back until the server closes.</summary>
    private static async Task SendBatchAsync(int port, byte[] batch)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(batch);
            tcp.Client.Shutdown(SocketShutdown.Send);
            var sink = new byte[64 * 1024];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await stream.ReadAsync(sink, timeout.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // The server closed mid-write after a frame it refused: expected.
        }
    }

    /// <summary>Frames the server answers and keeps the connection for, then one that makes it close the connection.</summary>
    private static byte[] Batch(Random random, List<byte[]> seeds)
    {
        using var batch = new MemoryStream();
        for (int i = 0; i < BatchSize - 1; i++)
        {
            batch.Write(random.Next(3) == 0 ? MutatedFrame(random, seeds, parseable: true) : Framing.Encode(WrongShape(random)));
        }

        batch.Write(Closing(random, seeds));
        return batch.ToArray();
    }

    private static byte[] Closing(Random random, List<byte[]> seeds)
    {
        switch (random.Next(6))
        {
            case 5:
                return MutatedFrame(random, seeds, parseable: false);
            case 0:
                var noise = new byte[4 + random.Next(1, 200)];
                random.NextBytes(noise);
                BinaryPrimitives.WriteUInt32BigEndian(noise, (uint)(noise.Length - 4));
                noise[4] = 0xc1;
                return noise;
            case 1:
                return [0xff, 0xff, 0xff, 0xff, 1, 2, 3];
            case 2:
                var bomb = new byte[4 + 5000];
                BinaryPrimitives.WriteUInt32BigEndian(bomb, 5000);
                bomb.AsSpan(4).Fill(0x91);
                return bomb;
            case 3:
                return [0, 0, 0, 6, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0xc0];
            default:
                var truncated = seeds[random.Next(seeds.Count)];
                var cut = truncated[..(4 + random.Next(1, truncated.Length - 4))];
                BinaryPrimitives.WriteUInt32BigEndian(cut, (uint)(truncated.Length - 4 - 1));
                return [.. cut, .. new byte[Math.Max(0, truncated.Length - 5 - (cut.Length - 4))]];
        }
    }

    /// <summary>
    /// A valid request frame with one to four bytes of its payload changed (the length header kept): one that
    /// still parses as MessagePack (so the connection carries on to the next frame) or one that no longer does.
    /// </summary>
    private static byte[] MutatedFrame(Random random, List<byte[]> seeds, bool parseable)
    {
        while (true)
        {
            var frame = (byte[])seeds[random.Next(seeds.Count)].Clone();
            for (int m = 1 + random.Next(4); m > 0; m--)
            {
                frame[4 + random.Next(frame.Length - 4)] = (byte)random.Next(256);
            }

            var read = Framing.TryRead(new System.Buffers.ReadOnlySequence<byte>(frame), int.MaxValue, MsgPackLimits.Default);
            if ((read.Status == FrameStatus.Complete) == parseable)
            {
                return frame;
            }
        }
    }

    /// <summary>Well-formed MessagePack that is not a valid request: wrong versions, ops, ids and bodies of the wrong shape.</summary>
    private static MsgPackValue WrongShape(Random random)
    {
        long id = random.Next(1, 1000);
        return random.Next(8) switch
        {
            0 => MsgPackValue.FromArray([MsgPackValue.From(id)]),
            1 => MsgPackValue.Map(("v", MsgPackValue.From((long)random.Next(2, 9))), ("id", MsgPackValue.From(id)), ("op", MsgPackValue.From("route"))),
            2 => MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(-id)), ("op", MsgPackValue.From("route"))),
            3 => MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(id)), ("op", MsgPackValue.From("op" + random.Next()))),
            4 => MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(id)), ("op", MsgPackValue.From("forecast")), ("body", MsgPackValue.Map(("series", MsgPackValue.From("all"))))),
            5 => MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(id)), ("op", MsgPackValue.From("plan")), ("body", MsgPackValue.Map(("resources", MsgPackValue.FromBinary(new byte[random.Next(64)]))))),
            6 => MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(id)), ("op", MsgPackValue.From("evaluate")), ("body", MsgPackValue.FromArray([MsgPackValue.Nil]))),
            _ => MsgPackValue.Map(("v", MsgPackValue.From(1L)), ("id", MsgPackValue.From(id)), ("op", MsgPackValue.From("ingest")), ("body", MsgPackValue.Map(("series", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("x")), ("values", MsgPackValue.FromTimestamp(1, 2)))]))))),
        };
    }

    /// <summary>Valid requests to mutate: cheap operations only, and no ingest (a mutation that stayed valid would store points).</summary>
    private static List<byte[]> Seeds() =>
    [
        Framing.Encode(Messages.Request(1, "capabilities", MsgPackValue.EmptyMap)),
        Framing.Encode(Messages.Request(2, "route", MsgPackValue.Map(("since", MsgPackValue.From(0L))))),
        Framing.Encode(Messages.Request(3, "forecast", MsgPackValue.Map(
            ("series", MsgPackValue.FromArray([MsgPackValue.Map(("values", MsgPackValue.FromArray(Enumerable.Range(0, 30).Select(t => MsgPackValue.From((double)t)))), ("step_seconds", MsgPackValue.From(60L)))])),
            ("model", MsgPackValue.From("snaive")), ("horizon", MsgPackValue.From(2L))))),
        Framing.Encode(Messages.Request(4, "evaluate", MsgPackValue.Map(
            ("resources", MsgPackValue.FromArray([MsgPackValue.From("cpu")])),
            ("horizon", MsgPackValue.Map(("steps", MsgPackValue.From(1L)), ("step_seconds", MsgPackValue.From(60L)))),
            ("nodes", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("a")), ("capacity", MsgPackValue.FromArray([MsgPackValue.From(4L)])))])),
            ("partitions", MsgPackValue.FromArray([MsgPackValue.Map(("id", MsgPackValue.From("p")), ("node", MsgPackValue.From("a")), ("load", MsgPackValue.FromArray([MsgPackValue.FromArray([MsgPackValue.From(1L)])])))])),
            ("assignment", MsgPackValue.Map(("p", MsgPackValue.From("a"))))))),
    ];
}

/// <summary>Tests that measure the process (memory) run with nothing else beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
