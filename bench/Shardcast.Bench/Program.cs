using BenchmarkDotNet.Running;
using Shardcast.Bench.Quality;
using Shardcast.Bench.Throughput;

namespace Shardcast.Bench;

/// <summary>
/// Entry point. `throughput [P/N/H/R ...] [--seconds S]`: evaluated moves per second.
/// `backends [P/N/H/R ...] [--seconds S] [--chains K] [--quality]`: annealing moves/s per backend (managed, OpenCL), and time to quality.
/// `device-memory [P/N/H/R ...]`: device bytes per problem and per chain, and the chains an 80 GB GPU holds.
/// `quality [P/N/H/R ...]`: time-to-quality against the 60 s best and the greedy baseline.
/// `objectives [P/N/H/R ...]`: peak utilisation and bytes moved, annealer against greedy, per objective.
/// `lstm-train [--data DIR] [--batches N] [--window W]`: LSTM training throughput at 1 thread and every core.
/// `lstm-stream [--series N] [--hidden H] [--steps S]`: streaming inference, series-steps per second.
/// `forecast-fleet [--series N] [--length L]`: the planner's forecasting cost per model.
/// `evaluate-load [--port P] [--clients 1,16,64] [--seconds S]`: evaluate requests/s and latency against a running server.
/// `codec [--seconds S]`: MessagePack decode and encode MB/s, bulk float32 bin and a plan response.
/// `plan-path [--partitions 2000,20000] [--repeats R] [--port P]`: a plan as the socket serves it against the same plan from a file.
/// `cycles [--sizes 1000/20/50,10000/100/300] [--cycles 100] [--warmup 5]`: the planner as the control loop calls it, cycle after cycle on a drifting cluster (P/N/time_ms): plan time p50/p99, moves per cycle.
/// `migration [--stores redis-server,garnet] [--slots 32] [--keys-per-slot 500] [--value-bytes 256] [--throttles 0,1] [--empty-slots 512] [--probe-rate 400] [--idle-seconds 5]`:
/// a range of slots moved on each store: MB/s, keys/s, fence time, client latency idle against moving, empty slots/s, memory.
/// Anything else goes to BenchmarkDotNet (e.g. `--filter *Delta*`).
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "throughput")
        {
            var (sizes, seconds) = SizesAndSeconds(args[1..], ["10k/100/12/2", "100k/1000/12/4"], 3);
            ThroughputHarness.Run(sizes, seconds, Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "backends")
        {
            var rest = args[1..].ToList();
            int chains = TakeInt(rest, "--chains", 0);
            bool quality = rest.Remove("--quality");
            var (sizes, seconds) = SizesAndSeconds([.. rest], ["10k/100/12/2", "100k/1000/12/4"], 3);
            BackendThroughput.Run(sizes, seconds, chains, quality, Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "device-memory")
        {
            var (sizes, _) = SizesAndSeconds(args[1..], ["10k/100/12/2", "100k/1000/12/4", "1000k/10k/12/4"], 0);
            BackendThroughput.Memory(sizes, Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "quality")
        {
            var (sizes, seconds) = SizesAndSeconds(args[1..], ["10k/100/12/2", "100k/1000/12/4"], 60);
            QualityHarness.Run(sizes, seconds, Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "objectives")
        {
            var (sizes, seconds) = SizesAndSeconds(args[1..], ["10k/100/12/2", "100k/1000/12/4"], 5);
            ObjectiveSweep.Run(sizes, seconds, Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "lstm-train")
        {
            var options = Options(args[1..]);
            Forecasting.LstmBench.Train(options.GetValueOrDefault("--data", "data/nab"), int.Parse(options.GetValueOrDefault("--batches", "100"), System.Globalization.CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("--window", "288"), System.Globalization.CultureInfo.InvariantCulture), Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "lstm-stream")
        {
            var options = Options(args[1..]);
            Forecasting.LstmBench.Stream(int.Parse(options.GetValueOrDefault("--series", "100000"), System.Globalization.CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("--hidden", "64"), System.Globalization.CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("--steps", "20"), System.Globalization.CultureInfo.InvariantCulture), Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "evaluate-local")
        {
            Protocol.EvaluateLoad.Local(Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "evaluate-load")
        {
            var options = Options(args[1..]);
            Protocol.EvaluateLoad.RunAsync(
                int.Parse(options.GetValueOrDefault("--port", "7411"), System.Globalization.CultureInfo.InvariantCulture),
                [.. options.GetValueOrDefault("--clients", "1,16,64").Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))],
                double.Parse(options.GetValueOrDefault("--seconds", "5"), System.Globalization.CultureInfo.InvariantCulture),
                Console.Out).GetAwaiter().GetResult();
            return 0;
        }

        if (args.Length > 0 && args[0] == "plan-path")
        {
            var options = Options(args[1..]);
            Protocol.PlanPath.RunAsync(
                [.. options.GetValueOrDefault("--partitions", "2000,20000").Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))],
                int.Parse(options.GetValueOrDefault("--repeats", "9"), System.Globalization.CultureInfo.InvariantCulture),
                options.TryGetValue("--port", out string? port) ? int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) : null,
                Console.Out).GetAwaiter().GetResult();
            return 0;
        }

        if (args.Length > 0 && args[0] == "codec")
        {
            var options = Options(args[1..]);
            Protocol.CodecBench.Run(double.Parse(options.GetValueOrDefault("--seconds", "2"), System.Globalization.CultureInfo.InvariantCulture), Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "forecast-fleet")
        {
            var options = Options(args[1..]);
            Forecasting.LstmBench.Fleet(int.Parse(options.GetValueOrDefault("--series", "2000"), System.Globalization.CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("--length", "864"), System.Globalization.CultureInfo.InvariantCulture), Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "cycles")
        {
            var options = Options(args[1..]);
            var sizes = options.GetValueOrDefault("--sizes", "1000/20/50,10000/100/300").Split(',').Select(s => s.Split('/')).Select(p => (int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            Control.CycleBench.Run(sizes, int.Parse(options.GetValueOrDefault("--cycles", "100"), System.Globalization.CultureInfo.InvariantCulture), int.Parse(options.GetValueOrDefault("--warmup", "5"), System.Globalization.CultureInfo.InvariantCulture), Console.Out);
            return 0;
        }

        if (args.Length > 0 && args[0] == "migration")
        {
            var options = Options(args[1..]);
            var defaults = new DataPlane.MigrationBench.Settings();
            var settings = new DataPlane.MigrationBench.Settings
            {
                Stores = options.TryGetValue("--stores", out string? stores) ? stores.Split(',') : defaults.Stores,
                Slots = int.Parse(options.GetValueOrDefault("--slots", $"{defaults.Slots}"), System.Globalization.CultureInfo.InvariantCulture),
                KeysPerSlot = int.Parse(options.GetValueOrDefault("--keys-per-slot", $"{defaults.KeysPerSlot}"), System.Globalization.CultureInfo.InvariantCulture),
                ValueBytes = int.Parse(options.GetValueOrDefault("--value-bytes", $"{defaults.ValueBytes}"), System.Globalization.CultureInfo.InvariantCulture),
                ThrottlesMBps = options.TryGetValue("--throttles", out string? throttles) ? [.. throttles.Split(',').Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture))] : defaults.ThrottlesMBps,
                EmptySlots = int.Parse(options.GetValueOrDefault("--empty-slots", $"{defaults.EmptySlots}"), System.Globalization.CultureInfo.InvariantCulture),
                ProbeOpsPerSecond = double.Parse(options.GetValueOrDefault("--probe-rate", $"{defaults.ProbeOpsPerSecond}"), System.Globalization.CultureInfo.InvariantCulture),
                IdleSeconds = double.Parse(options.GetValueOrDefault("--idle-seconds", $"{defaults.IdleSeconds}"), System.Globalization.CultureInfo.InvariantCulture),
            };
            return DataPlane.MigrationBench.RunAsync(settings, Console.Out).GetAwaiter().GetResult();
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int TakeInt(List<string> args, string name, int fallback)
    {
        int at = args.IndexOf(name);
        if (at < 0 || at + 1 >= args.Count)
        {
            return fallback;
        }

        int value = int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture);
        args.RemoveRange(at, 2);
        return value;
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        return options;
    }

    private static (string[] Sizes, double Seconds) SizesAndSeconds(string[] args, string[] defaultSizes, double defaultSeconds)
    {
        var sizes = new List<string>();
        double seconds = defaultSeconds;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Length)
            {
                seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                sizes.Add(args[i]);
            }
        }

        return (sizes.Count > 0 ? [.. sizes] : defaultSizes, seconds);
    }
}
