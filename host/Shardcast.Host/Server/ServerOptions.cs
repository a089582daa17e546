using System.Globalization;
using System.Net;

namespace Shardcast.Host.Server;

/// <summary>
/// The server's settings, bound from the "Server" section of appsettings.json, SHARDCAST_SERVER__* environment
/// variables and the command line (in that order of precedence, last wins), and validated at start-up.
/// </summary>
public sealed class ServerOptions
{
    public const string Section = "Server";

    /// <summary>host:port to listen on; anything but loopback needs a token.</summary>
    public string Listen { get; set; } = "127.0.0.1:7411";

    /// <summary>The shared secret every request must carry in `token` (compared in constant time).</summary>
    public string? Token { get; set; }

    public int MaxConnections { get; set; } = 256;

    public int MaxFrameBytes { get; set; } = 64 << 20;

    /// <summary>Requests one connection may have in flight; the server stops reading its frames until one finishes.</summary>
    public int MaxInFlightPerConnection { get; set; } = 32;

    /// <summary>The most a request may take; a plan's search gets what is left of it.</summary>
    public double RequestTimeoutSeconds { get; set; } = 120;

    /// <summary>Plans (and forecasts and evaluations) run at most this many at once, so small requests are never starved.</summary>
    public int HeavyWorkers { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Points `ingest` may hold in memory across all series.</summary>
    public long MaxStoredPoints { get; set; } = 50_000_000;

    /// <summary>
    /// The newest points each ingested series keeps; older ones are dropped as new ones arrive (a week of one-minute
    /// steps, about 2.3 days of the control loop's 2-second steps), so a series fed every step is never refused for
    /// its length and a forecast copies a bounded history.
    /// </summary>
    public int MaxSeriesPoints { get; set; } = 100_000;

    /// <summary>Most ingested series with an anomaly detector (`ingest` with `detect`).</summary>
    public int MaxDetectedSeries { get; set; } = 100_000;

    /// <summary>Values each ingested series' anomaly detector keeps to compare against (2016: a week of 5-minute steps).</summary>
    public int DetectHistory { get; set; } = 2016;

    /// <summary>`forecast` keeps a fitted model open per ingested series and conditions it on new points; it refits after this many (1: every call).</summary>
    public int ForecastRefitPoints { get; set; } = 288;

    /// <summary>Whether the server fine-tunes its LSTM on the ingested series when their forecast error drifts (docs/forecasting.md, "Adaptation").</summary>
    public bool AdaptModel { get; set; }

    /// <summary>Seconds between the adaptation's checks of the served model's error on the newest ingested data.</summary>
    public double AdaptCheckSeconds { get; set; } = 60;

    /// <summary>Seconds between fine-tunes made whatever the drift (0: only on drift).</summary>
    public double AdaptEverySeconds { get; set; }

    /// <summary>A fine-tune starts when the served model's loss on the newest tails reaches this multiple of the one measured when it began serving.</summary>
    public double AdaptDriftRatio { get; set; } = 1.25;

    /// <summary>The served version goes back to the one before it where its loss on the newest tails is this share above that one's.</summary>
    public double AdaptRollbackMargin { get; set; } = 0.05;

    /// <summary>A fine-tuned model is kept only where its loss on the newest tails is at least this share below the served one's.</summary>
    public double AdaptMinGain { get; set; } = 0.02;

    public double AdaptTimeBudgetSeconds { get; set; } = 30;

    /// <summary>Cores a fine-tune takes (the others stay with the requests).</summary>
    public int AdaptThreads { get; set; } = 1;

    /// <summary>Ingested series a check and a fine-tune use (the longest), and their newest points each.</summary>
    public int AdaptMaxSeries { get; set; } = 256;

    public int AdaptMaxPoints { get; set; } = 4032;

    /// <summary>The most nesting, string bytes and elements one frame may declare.</summary>
    public int MaxDepth { get; set; } = 64;

    public int MaxStringBytes { get; set; } = 1 << 20;

    /// <summary>
    /// `shardcast serve` runs socket completions inline on the runtime's event loop (light requests then never wait
    /// for a thread-pool worker); false leaves the runtime's default. The environment variable
    /// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS, where set, decides instead.
    /// </summary>
    public bool InlineSocketCompletions { get; set; } = true;

    /// <summary>
    /// host:port of an HTTP endpoint serving the metrics at /metrics in Prometheus's text format; off when unset.
    /// Anything but loopback needs Server:Token, which a scraper then sends as `Authorization: Bearer TOKEN`.
    /// </summary>
    public string? MetricsListen { get; set; }

    /// <summary>
    /// Where the server keeps what must survive a restart (the routing tables, one file per cluster); empty keeps it
    /// in memory only. Default: $XDG_STATE_HOME/shardcast, else ~/.local/state/shardcast.
    /// </summary>
    public string StateDirectory { get; set; } = DefaultStateDirectory();

    /// <summary>
    /// A store the server manages (docs/data-plane.md): `garnet` (embedded, started with the server), `redis-server`
    /// (child processes) or `redis://host:port,...` (a running cluster); empty for none. Its cluster name on the
    /// socket is <see cref="StoreName"/> (`store`, `execute`, `execution`, and `route` from its slot map).
    /// </summary>
    public string? Store { get; set; }

    /// <summary>Primaries of a store the server starts.</summary>
    public int StoreNodes { get; set; } = 3;

    public string StoreName { get; set; } = "store";

    /// <summary>Partitions the store's slot space is cut into for planning (each a range of slots).</summary>
    public int StorePartitions { get; set; } = 32;

    /// <summary>Run the control loop over the store from start to shutdown (docs/control-loop.md; `control` reports and pauses it).</summary>
    public bool StoreControl { get; set; }

    /// <summary>The control loop's step, in seconds.</summary>
    public double ControlStepSeconds { get; set; } = 2;

    /// <summary>The control loop's search time per cycle, in milliseconds.</summary>
    public int ControlPlanTimeMs { get; set; } = 300;

    /// <summary>The control loop's steps from one planned cycle to the next (an anomaly plans at once).</summary>
    public int ControlPlanEvery { get; set; } = 1;

    /// <summary>Whether the control loop watches each range's traffic for anomalies.</summary>
    public bool ControlDetectAnomalies { get; set; } = true;

    /// <summary>Whether an anomaly during the control loop's execution replans it at once (else it waits for the execution to end).</summary>
    public bool ControlReplanOnAnomaly { get; set; } = true;

    /// <summary>The control loop's settings: these and the loop's defaults (docs/control-loop.md).</summary>
    public Shardcast.Control.ControlOptions ControlOptions() => new()
    {
        Step = TimeSpan.FromSeconds(ControlStepSeconds),
        PlanEvery = ControlPlanEvery,
        DetectAnomalies = ControlDetectAnomalies,
        ReplanOnAnomaly = ControlReplanOnAnomaly,
        Partitions = StorePartitions,
        MaxPartitions = Math.Max(StorePartitions, Math.Min(16384, StorePartitions * 4)),
        Plan = new Engine.Planning.PlanOptions { TimeMs = ControlPlanTimeMs, AdviseScaling = false },
    };

    /// <summary>How long shutdown waits for requests in flight.</summary>
    public double ShutdownSeconds { get; set; } = 30;

    public IPEndPoint EndPoint() => Parse(Listen, nameof(Listen));

    private static string DefaultStateDirectory() => Commands.StoreOpener.DefaultStateDirectory();

    /// <summary>The metrics endpoint's address, or null when it is off.</summary>
    public IPEndPoint? MetricsEndPoint() => MetricsListen is { Length: > 0 } listen ? Parse(listen, nameof(MetricsListen)) : null;

    private static IPEndPoint Parse(string listen, string key)
    {
        int colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new FormatException($"Server:{key} '{listen}' is not host:port");
        }

        string host = listen[..colon].Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed : throw new FormatException($"Server:{key} host '{host}' is not an IP address or localhost");
        return new IPEndPoint(address, port);
    }

    /// <summary>Every problem with the settings, each naming its key; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        IPEndPoint? endPoint = null;
        try
        {
            endPoint = EndPoint();
        }
        catch (FormatException e)
        {
            problems.Add(e.Message);
        }

        if (endPoint is not null && !IPAddress.IsLoopback(endPoint.Address) && string.IsNullOrEmpty(Token))
        {
            problems.Add($"Server:Token is required to listen on {Listen} (anything but loopback)");
        }

        try
        {
            if (MetricsEndPoint() is { } metrics && !IPAddress.IsLoopback(metrics.Address) && string.IsNullOrEmpty(Token))
            {
                problems.Add($"Server:Token is required to serve metrics on {MetricsListen} (anything but loopback)");
            }
        }
        catch (FormatException e)
        {
            problems.Add(e.Message);
        }

        if (Token is { Length: > 0 and < 16 })
        {
            problems.Add("Server:Token must be at least 16 characters");
        }

        void Positive(string name, double value)
        {
            if (!(value > 0))
            {
                problems.Add($"Server:{name} must be positive, found {value}");
            }
        }

        Positive(nameof(MaxConnections), MaxConnections);
        Positive(nameof(MaxFrameBytes), MaxFrameBytes);
        Positive(nameof(MaxInFlightPerConnection), MaxInFlightPerConnection);
        Positive(nameof(RequestTimeoutSeconds), RequestTimeoutSeconds);
        Positive(nameof(HeavyWorkers), HeavyWorkers);
        Positive(nameof(MaxStoredPoints), MaxStoredPoints);
        Positive(nameof(MaxSeriesPoints), MaxSeriesPoints);
        Positive(nameof(MaxDetectedSeries), MaxDetectedSeries);
        if (DetectHistory < 2)
        {
            problems.Add($"Server:DetectHistory must be at least 2, found {DetectHistory}");
        }
        Positive(nameof(ForecastRefitPoints), ForecastRefitPoints);
        Positive(nameof(AdaptCheckSeconds), AdaptCheckSeconds);
        Positive(nameof(AdaptTimeBudgetSeconds), AdaptTimeBudgetSeconds);
        Positive(nameof(AdaptThreads), AdaptThreads);
        Positive(nameof(AdaptMaxSeries), AdaptMaxSeries);
        Positive(nameof(AdaptMaxPoints), AdaptMaxPoints);
        if (!(AdaptEverySeconds >= 0))
        {
            problems.Add($"Server:AdaptEverySeconds must be 0 (only on drift) or more, found {AdaptEverySeconds}");
        }

        if (!(AdaptDriftRatio > 1))
        {
            problems.Add($"Server:AdaptDriftRatio must be above 1, found {AdaptDriftRatio}");
        }

        if (!(AdaptRollbackMargin >= 0) || !(AdaptMinGain >= 0 && AdaptMinGain < 1))
        {
            problems.Add($"Server:AdaptRollbackMargin must be 0 or more and Server:AdaptMinGain in [0, 1), found {AdaptRollbackMargin} and {AdaptMinGain}");
        }
        Positive(nameof(MaxDepth), MaxDepth);
        Positive(nameof(MaxStringBytes), MaxStringBytes);
        Positive(nameof(ShutdownSeconds), ShutdownSeconds);
        if (Store is { Length: > 0 } store && Commands.StoreOpener.Problem(store, StoreNodes) is { } storeProblem)
        {
            problems.Add($"Server:Store / Server:StoreNodes: {storeProblem}");
        }

        if (StoreControl && Store is not { Length: > 0 })
        {
            problems.Add("Server:StoreControl needs a store to control (Server:Store, or --store)");
        }

        if (!(ControlStepSeconds is >= 0.2 and <= 3600))
        {
            problems.Add($"Server:ControlStepSeconds must be 0.2 to 3600, found {ControlStepSeconds}");
        }

        if (ControlPlanTimeMs < 1)
        {
            problems.Add($"Server:ControlPlanTimeMs must be positive, found {ControlPlanTimeMs}");
        }

        if (StorePartitions is < 1 or > 16384)
        {
            problems.Add($"Server:StorePartitions must be 1 to 16384, found {StorePartitions}");
        }

        if (string.IsNullOrWhiteSpace(StoreName))
        {
            problems.Add("Server:StoreName must not be empty");
        }

        return problems;
    }
}
