using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Shardcast.Control.Simulation;
using Shardcast.Host.Server;
using Shardcast.Protocol;

namespace Shardcast.Host.Demo;

/// <summary>What `shardcast demo` was asked to do.</summary>
public sealed record DemoRequest
{
    public required DemoScenario Scenario { get; init; }

    /// <summary>A folder of timestamp,value series to replay; null: the synthetic workload.</summary>
    public string? Trace { get; init; }

    public IReadOnlyList<string> Policies { get; init; } = DemoRun.AllPolicies;

    public PredictiveOptions Predictive { get; init; } = new();

    /// <summary>Replay each policy's placements on an embedded Garnet cluster holding real keys (lost writes from the store).</summary>
    public bool Store { get; init; } = true;

    public StoreReplayOptions Replay { get; init; } = new();
}

/// <summary>A policy's day, the predictive policy where it was that one, and, where the store replay ran, what the store said.</summary>
public sealed record PolicyOutcome(PolicyRun Run, PredictivePolicy? Predictive, StoreReplayReport? Store)
{
    public double? ForecastMase => Predictive?.ForecastMase;

    public string? ForecastModels => Predictive?.ServedBy;

    /// <summary>Planning cycles: the predictive policy's own count, else the steps the policy evaluated.</summary>
    public int Cycles => Predictive?.Cycles ?? Run.PlanMs.Length;

    public int AnomalyCycles => Predictive?.AnomalyCycles ?? 0;
}

/// <summary>
/// The demo: the socket host started in-process on a loopback port, each policy's day simulated on the same demand,
/// the predictive policy talking to the host over the socket; then, where asked, each policy's placements carried out
/// on an embedded Garnet cluster while a workload writes to it, and every acknowledged write read back.
/// </summary>
public static class DemoRun
{
    public static readonly IReadOnlyList<string> AllPolicies = ["static", "slot_count", "reactive", "predictive"];

    public static DemandSet Demand(DemoRequest request) =>
        request.Trace is { } folder ? TraceDemand.Load(folder, request.Scenario) : SyntheticDemand.Generate(request.Scenario);

    public static async Task<IReadOnlyList<PolicyOutcome>> RunAsync(DemoRequest request, DemandSet demand, string stateDirectory, TextWriter log, CancellationToken cancellation)
    {
        var outcomes = new List<PolicyOutcome>();
        var simulator = new DaySimulator(request.Scenario, demand);
        using var host = await StartHostAsync(stateDirectory, cancellation).ConfigureAwait(false);
        var endPoint = host.Services.GetRequiredService<ShardcastServer>().EndPoint!;
        log.WriteLine($"socket host listening on {endPoint} (in this process)");
        await using var client = await ShardcastClient.ConnectAsync(endPoint.Address.ToString(), endPoint.Port, cancellation: cancellation).ConfigureAwait(false);
        foreach (string name in request.Policies)
        {
            var policy = Create(name, client, request);
            var display = new DemoProgress(log, name, request.Scenario.StepMinutes);
            var run = await simulator.RunAsync(policy, display, cancellation).ConfigureAwait(false);
            display.Done(run);
            outcomes.Add(new PolicyOutcome(run, policy as PredictivePolicy, null));
        }

        await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (request.Store)
        {
            var replayed = new List<PolicyOutcome>();
            await using var replay = await StoreReplay.StartAsync(request.Scenario, demand, request.Replay, log, cancellation).ConfigureAwait(false);
            foreach (var outcome in outcomes)
            {
                var report = await replay.ReplayAsync(outcome.Run, cancellation).ConfigureAwait(false);
                replayed.Add(outcome with { Store = report });
            }

            return replayed;
        }

        return outcomes;
    }

    private static IRebalancePolicy Create(string name, ShardcastClient client, DemoRequest request) => name switch
    {
        "static" => new StaticPolicy(),
        "slot_count" => new SlotCountPolicy(),
        "reactive" => new ReactivePolicy(),
        "predictive" => new PredictivePolicy(client, request.Predictive with { Seed = request.Scenario.Seed }),
        _ => throw new ArgumentException($"unknown policy '{name}'; known: {string.Join(", ", AllPolicies)}"),
    };

    /// <summary>The socket host on a free loopback port, quiet (warnings only), its state in a folder of the run's.</summary>
    private static async Task<IHost> StartHostAsync(string stateDirectory, CancellationToken cancellation)
    {
        var host = ServerHost.Build(new Dictionary<string, string?>
        {
            ["Server:Listen"] = "127.0.0.1:0",
            ["Server:StateDirectory"] = stateDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await host.StartAsync(cancellation).ConfigureAwait(false);
        return host;
    }
}

/// <summary>
/// A policy's progress: on a terminal one line rewritten in place (simulated time, nodes, overloaded nodes, moves in
/// flight); redirected, a line every few seconds, so a log shows the run moving without a line per simulated step.
/// </summary>
internal sealed class DemoProgress(TextWriter log, string policy, int stepMinutes) : IProgress<SimProgress>
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private readonly bool _terminal = ReferenceEquals(log, Console.Error) && !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastLine = TimeSpan.FromSeconds(-10);

    public void Report(SimProgress value)
    {
        bool last = value.Step == value.Steps;
        if (!_terminal && _clock.Elapsed - _lastLine < TimeSpan.FromSeconds(5) && !last)
        {
            return;
        }

        _lastLine = _clock.Elapsed;
        int minutes = value.Step * stepMinutes;
        string line = string.Create(C, $"{policy,-10} simulated {minutes / 60,3}:{minutes % 60:00} of {value.Steps * stepMinutes / 60}:{value.Steps * stepMinutes % 60:00}  nodes {value.Nodes,3}  overloaded now {value.Overloaded,2}  overload {value.OverloadNodeMinutes,6:0} node-min  moves {value.Moves,4} done {value.InFlight,3} in flight  {value.BytesMoved / 1e9,7:0.0} GB  ({_clock.Elapsed.TotalSeconds:0.0} s)");
        if (_terminal)
        {
            log.Write("\r" + line + "   ");
        }
        else
        {
            log.WriteLine(line);
        }
    }

    public void Done(PolicyRun run)
    {
        if (_terminal)
        {
            log.WriteLine();
        }
    }
}
