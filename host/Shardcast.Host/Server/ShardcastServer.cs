using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shardcast.Engine.Observation;
using Shardcast.Engine.Routing;
using Shardcast.Protocol;

namespace Shardcast.Host.Server;

/// <summary>
/// The socket server: accepts connections up to the limit, serves each on its own loop (<see cref="Connection"/>),
/// runs heavy operations on a bounded worker pool, and on shutdown stops accepting and reading, then waits for
/// the requests in flight to be answered.
/// </summary>
public sealed partial class ShardcastServer : BackgroundService
{
    private readonly ServerOptions _options;
    private readonly ILogger<ShardcastServer> _logger;
    private readonly ConcurrentDictionary<Connection, Task> _connections = new();
    private readonly CancellationTokenSource _stopReading = new();
    private TcpListener? _listener;
    private long _framesRead;

    public ShardcastServer(IOptions<ServerOptions> options, ILogger<ShardcastServer> logger, ServerMetrics metrics, TimeProvider clock)
    {
        Clock = clock;
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        Metrics = metrics;
        HeavyWork = new SemaphoreSlim(_options.HeavyWorkers, _options.HeavyWorkers);
        Series = new SeriesStore(_options.MaxStoredPoints, _options.MaxSeriesPoints);
        Forecasters = new OpenForecasters(_options.ForecastRefitPoints);
        Detectors = new SeriesDetectors(_options.MaxDetectedSeries, new Models.Anomaly.DetectorOptions { MaxHistory = _options.DetectHistory });
        var shipped = Models.Neural.LstmDefaultModel.Get();
        Model = new ServedModel(shipped.Network, "the model shipped inside: " + shipped.Description, clock);

        // Forecasters kept open hold the old version's state: the next forecast of each series fits the new one.
        Model.Changed += _ => Forecasters.Clear();
        Model.Changed += KeepServedModel;
        Adaptation = new ModelAdaptation(Model, Series, _options, _logger, clock);
    }

    /// <summary>The LSTM forecasts and plans are made with (the shipped model until an adaptation keeps another).</summary>
    internal ServedModel Model { get; }

    /// <summary>Fine-tunes <see cref="Model"/> on ingested series where their error drifts (Server:AdaptModel).</summary>
    internal ModelAdaptation Adaptation { get; }

    /// <summary>Anomaly detectors on ingested series that asked for detection.</summary>
    internal SeriesDetectors Detectors { get; }

    /// <summary>Where the server listens (the real port when the settings asked for port 0).</summary>
    public IPEndPoint? EndPoint { get; private set; }

    internal ServerMetrics Metrics { get; }

    /// <summary>What request deadlines are measured by.</summary>
    internal TimeProvider Clock { get; }

    internal SemaphoreSlim HeavyWork { get; }

    internal SeriesStore Series { get; }

    /// <summary>Forecasters kept open on ingested series, refitted every Server:ForecastRefitPoints new points.</summary>
    internal OpenForecasters Forecasters { get; }

    /// <summary>The routing tables, one per cluster, read from the state folder at start.</summary>
    internal RoutingTables Routes { get; private set; } = new();

    internal ClusterCache Clusters { get; } = new(64);

    internal ServerOptions Options => _options;

    internal ILogger Logger => _logger;

    public int OpenConnections => _connections.Count;

    /// <summary>Frames read since start, refused ones included.</summary>
    public long FramesRead => Interlocked.Read(ref _framesRead);

    internal void CountFrame() => Interlocked.Increment(ref _framesRead);

    /// <summary>The store the server manages (Server:Store), or null.</summary>
    internal DataPlane.Execution.ManagedStore? Store { get; private set; }

    /// <summary>The control loop over the store (Server:StoreControl), or null.</summary>
    internal ControlService? Control { get; private set; }

    private string? _temporaryJournal;
    private Task _routeRefresh = Task.CompletedTask;

    /// <summary>How often the store's routing table is read from its slot map.</summary>
    internal static readonly TimeSpan StoreRouteInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The store's routing table (`route` with the store's name) follows its slot map: each partition (a range of
    /// slots, cut as the planner cuts them) maps to the node that owns it, recorded with a new epoch whenever an
    /// owner changed; the table persists like any other, so a restarted server answers epochs clients know.
    /// </summary>
    private async Task RecordStoreRoutesAsync()
    {
        var map = await Store!.Store.ReadSlotMapAsync().ConfigureAwait(false);
        var entries = DataPlane.Layout.StorePartition.Cut(map, _options.StorePartitions)
            .Select(p => (p.Id, DataPlane.Layout.StoreSnapshot.NodeName(p.Owner))).ToList();
        Routes.Get(_options.StoreName).Record(entries);
    }

    private int _trafficRefusals;

    /// <summary>
    /// Each step of the control loop, every range of the even cut's operations per second goes into the series store as
    /// `{StoreName}/slots:{first}-{last}/ops`: `forecast` serves them by id, and the model's adaptation learns from them.
    /// </summary>
    private void IngestStoreTraffic(IReadOnlyList<(DataPlane.Store.SlotRange Range, double OperationsPerSecond)> ranges)
    {
        double end = Clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        double step = _options.ControlStepSeconds;
        foreach (var (range, ops) in ranges)
        {
            try
            {
                Series.Append($"{_options.StoreName}/slots:{range}/ops", step, end, [ops]);
            }
            catch (SeriesStoreException e)
            {
                // The store is full: the loop goes on; the refusal is said once, not every step.
                if (Interlocked.Increment(ref _trafficRefusals) == 1)
                {
                    LogStoreTrafficRefused(_logger, e.Message);
                }

                return;
            }
        }
    }

    private async Task RefreshStoreRoutesAsync()
    {
        while (!_stopReading.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(StoreRouteInterval, _stopReading.Token).ConfigureAwait(false);
                await RecordStoreRoutesAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or IOException or TimeoutException or FormatException)
            {
                LogStoreRoutesFailed(_logger, e.Message);
            }
        }
    }

    /// <summary>Writes the version now served into the state folder, so that a restart serves it again.</summary>
    private void KeepServedModel(ModelVersion version)
    {
        if (_options.StateDirectory is not { Length: > 0 } state)
        {
            return;
        }

        try
        {
            // Back on the shipped model (a roll-back to version 1): nothing to keep, and nothing kept may outlive it.
            if (version.Number == 1)
            {
                ServedModelFile.Delete(state);
            }
            else
            {
                ServedModelFile.Write(state, version, Model.Previous);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogServedModelNotKept(_logger, version.Number, e.Message);
        }
    }

    /// <summary>Serves the version an earlier run kept, where there is one that reads; a damaged one is refused and named.</summary>
    private void ResumeServedModel()
    {
        if (_options.StateDirectory is not { Length: > 0 } state)
        {
            return;
        }

        try
        {
            if (ServedModelFile.Read(state) is { } found)
            {
                var (kept, previousNumber) = found;
                ModelVersion? previous = null;
                try
                {
                    previous = previousNumber switch
                    {
                        null => null,
                        1 => Model.Shipped,
                        int n => ServedModelFile.ReadPrevious(state, n),
                    };
                }
                catch (Exception e) when (e is Models.Neural.ModelFileException or IOException or UnauthorizedAccessException)
                {
                    // The served version still serves; only its roll-back is gone.
                    LogServedModelRefused(_logger, e.Message);
                }

                Model.Resume(kept, previous);
                LogServedModelResumed(_logger, kept.Number, kept.Reason);
            }
        }
        catch (Exception e) when (e is Models.Neural.ModelFileException or IOException or UnauthorizedAccessException)
        {
            LogServedModelRefused(_logger, e.Message);
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        ResumeServedModel();
        // Read before listening: a damaged table stops the start, naming its file, instead of serving an empty one.
        Routes = new RoutingTables(_options.StateDirectory is { Length: > 0 } state ? Path.Combine(state, "routes") : null);

        // The store too: its journal is recovered before any request can move a slot.
        if (_options.Store is { Length: > 0 } store)
        {
            var (journal, temporary) = Commands.StoreOpener.JournalFor(store, _options.StateDirectory);
            _temporaryJournal = temporary ? journal : null;
            Store = Commands.StoreOpener.OpenAsync(store, _options.StoreNodes, journal, cancellationToken).GetAwaiter().GetResult();
            RecordStoreRoutesAsync().GetAwaiter().GetResult();
            _routeRefresh = Task.Run(RefreshStoreRoutesAsync, CancellationToken.None);
            if (_options.StoreControl)
            {
                Control = new ControlService(Store, _options.ControlOptions() with { ForecastNetwork = () => Model.Current.Network, Observed = IngestStoreTraffic }, _logger);
                Control.Resume();
            }
        }

        Adaptation.Start();

        // Bound before StartAsync returns, so that the port is known and a bad address fails the start.
        _listener = new TcpListener(_options.EndPoint());
        _listener.Start(backlog: 512);
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        LogListening(_logger, ProductVersion.Text, EndPoint, _options.Token is not null, _options.StateDirectory is { Length: > 0 } folder ? folder : "memory only");
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        LogStopping(_logger, _connections.Count);
        _listener?.Stop();
        await _stopReading.CancelAsync().ConfigureAwait(false);
        var pending = _connections.Values.ToArray();
        var all = Task.WhenAll(pending);
        var grace = Task.Delay(TimeSpan.FromSeconds(_options.ShutdownSeconds), cancellationToken);
        if (await Task.WhenAny(all, grace).ConfigureAwait(false) != all)
        {
            LogShutdownTimedOut(_logger, pending.Length);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Close();
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Adaptation.DisposeAsync().ConfigureAwait(false);
        await _routeRefresh.ConfigureAwait(false);
        if (Control is not null)
        {
            await Control.DisposeAsync().ConfigureAwait(false);
            Control = null;
        }

        if (Store is not null)
        {
            // An execution in flight is cancelled: its moves roll back, so the store is left with no slot in transit.
            await Store.DisposeAsync().ConfigureAwait(false);
            Store = null;
            if (_temporaryJournal is not null)
            {
                File.Delete(_temporaryJournal);
            }
        }
    }

    public override void Dispose()
    {
        _stopReading.Dispose();
        HeavyWork.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = _listener!;
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            socket.NoDelay = true;
            var connection = new Connection(this, socket);
            if (_connections.Count >= _options.MaxConnections)
            {
                _ = connection.RefuseAsync(ErrorCodes.Busy, $"the server is at its limit of {_options.MaxConnections} connections");
                continue;
            }

            // Registered before it starts: a connection that is served and closed at once (its client wrote
            // everything before the accept) removes itself after it was added, never before, so none is leaked.
            var serve = new Task<Task>(() => ServeAsync(connection));
            _connections[connection] = serve.Unwrap();
            serve.Start(TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Connection connection)
    {
        try
        {
            await connection.RunAsync(_stopReading.Token).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shardcast {Version} listening on {EndPoint} (token required: {TokenRequired}; state in {State})")]
    private static partial void LogListening(ILogger logger, string version, IPEndPoint endPoint, bool tokenRequired, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: no new connections or requests; finishing the work of {Connections} connections")]
    private static partial void LogStopping(ILogger logger, int connections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown grace ran out with {Connections} connections still working; closing them")]
    private static partial void LogShutdownTimedOut(ILogger logger, int connections);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model: v{Version} serving, kept from an earlier run ({Reason})")]
    private static partial void LogServedModelResumed(ILogger logger, int version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model: the kept version was refused, the shipped model serves: {Reason}")]
    private static partial void LogServedModelRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model: v{Version} could not be kept in the state folder: {Reason}")]
    private static partial void LogServedModelNotKept(ILogger logger, int version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store's traffic is no longer ingested as series: {Reason}")]
    private static partial void LogStoreTrafficRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store's slot map could not be read for its routing table: {Reason}")]
    private static partial void LogStoreRoutesFailed(ILogger logger, string reason);
}
