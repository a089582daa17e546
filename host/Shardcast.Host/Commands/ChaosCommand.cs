using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shardcast.DataPlane.Chaos;
using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Store;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast chaos`: randomised schedules of slot moves under concurrent writes and reads, with faults (cancel, a
/// failing mover command, the controller killed and recovered from its journal, the target killed), checked for lost
/// writes, stale reads and slots left in transit (docs/data-plane.md). Exit code 1 when anything is lost, naming the
/// seed and schedule that reproduce it.
/// </summary>
public static class ChaosCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var store = new Option<string>("--store") { Description = "The store to fault, started here: garnet (embedded, in process) or redis-server (Debian's, as child processes).", DefaultValueFactory = _ => "garnet" };
        var schedules = new Option<int>("--schedules") { Description = "Schedules to run.", DefaultValueFactory = _ => 20 };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed of the schedules' choices (slot, target, fault, step).", DefaultValueFactory = _ => 1 };
        var nodes = new Option<int>("--nodes") { Description = "Primaries of the embedded store.", DefaultValueFactory = _ => 3 };
        var keys = new Option<int>("--keys") { Description = "Keys preloaded in each schedule's slot.", DefaultValueFactory = _ => 200 };
        var json = new Option<bool>("--json") { Description = "End with one line of JSON: schedules, faults, moves, lost_writes, stale_reads, stuck_slots, ..." };
        var command = new Command("chaos", "Move slots on a store under concurrent writes while faults strike, and check that nothing acknowledged is lost.")
        {
            store, schedules, seed, nodes, keys, json,
        };
        command.SetAction(parse => CommandGuard.Run(
            error,
            () =>
            {
                string kind = parse.GetValue(store)!;
                int count = parse.GetValue(schedules), nodeCount = parse.GetValue(nodes), keyCount = parse.GetValue(keys);
                string? refused =
                    kind is not ("garnet" or "redis-server") ? $"--store {kind}: chaos starts the store it faults: expected garnet or redis-server (a cluster by address is attached by `rebalance`; chaos on one is not built yet)" :
                    kind == "redis-server" && RedisServerCluster.FindProgram() is null ? "--store redis-server: redis-server is not installed (Debian: apt-get install redis-server)" :
                    count < 1 ? $"--schedules must be at least 1, found {count}" :
                    nodeCount is < 2 or > EmbeddedGarnetOptions.MaxNodes ? $"--nodes must be 2 to {EmbeddedGarnetOptions.MaxNodes} (a move needs a target), found {nodeCount}" :
                    keyCount < 1 ? $"--keys must be at least 1, found {keyCount}" :
                    null;
                if (refused is not null)
                {
                    error.WriteLine($"error: {refused}");
                    return ExitCodes.BadInput;
                }

                string folder = Directory.CreateTempSubdirectory("shardcast-chaos-").FullName;
                try
                {
                    var clock = Stopwatch.StartNew();
                    Func<Task<IFaultableStore>> start = kind == "garnet"
                        ? async () => await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = nodeCount }).ConfigureAwait(false)
                        : async () => await RedisServerCluster.StartAsync(nodeCount, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
                    var runner = new ChaosRunner(
                        start,
                        new ChaosOptions { Schedules = count, Seed = parse.GetValue(seed), Keys = keyCount, Folder = folder },
                        new SynchronousProgress(error, clock));
                    var report = CommandGuard.Interruptible(token => runner.RunAsync(token).GetAwaiter().GetResult());
                    Print(report, parse.GetValue(json), output);
                    return report.Passed ? ExitCodes.Ok : ExitCodes.InternalError;
                }
                finally
                {
                    Directory.Delete(folder, recursive: true);
                }
            },
            _ => null));
        return command;
    }

    private static void Print(ChaosReport report, bool json, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{report.Schedules} schedules in {report.Elapsed.TotalSeconds:0} s: {report.Moves} moves ({report.Finished} finished, {report.RolledBack} rolled back), {report.Faults} faults ({string.Join(", ", report.FaultsByKind.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}"))})"));
        output.WriteLine(string.Create(c, $"{report.Writes:N0} writes and {report.Reads:N0} reads; lost writes {report.LostWrites}, stale reads {report.StaleReads}, stuck slots {report.StuckSlots}: {(report.Passed ? "passed" : "FAILED")}"));
        foreach (string failure in report.Failures)
        {
            output.WriteLine($"  {failure}");
        }

        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["schedules"] = report.Schedules,
                ["faults"] = report.Faults,
                ["moves"] = report.Moves,
                ["finished"] = report.Finished,
                ["rolled_back"] = report.RolledBack,
                ["lost_writes"] = report.LostWrites,
                ["stale_reads"] = report.StaleReads,
                ["stuck_slots"] = report.StuckSlots,
                ["writes"] = report.Writes,
                ["reads"] = report.Reads,
                ["faults_by_kind"] = report.FaultsByKind,
                ["seconds"] = Math.Round(report.Elapsed.TotalSeconds, 1),
            }));
        }
    }
}
