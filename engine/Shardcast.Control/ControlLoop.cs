using System.Diagnostics;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Store;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Models.Anomaly;

namespace Shardcast.Control;

/// <summary>How the control loop observes, forecasts, decides and acts.</summary>
public sealed record ControlOptions
{
    /// <summary>One cycle per step: the observation window and the forecast's step.</summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Steps the forecast and the plan look ahead.</summary>
    public int Horizon { get; init; } = 6;

    /// <summary>The forecast quantile planned for (the objective's quantile).</summary>
    public double Quantile { get; init; } = 0.9;

    /// <summary>Slot ranges the store is cut into for planning.</summary>
    public int Partitions { get; init; } = 32;

    /// <summary>Each node's capacity in operations per second; null: the first observation's mean node load over <see cref="StartingUtilisation"/>, then fixed.</summary>
    public double? NodeCapacity { get; init; }

    /// <summary>Where no capacity is given, the mean node's utilisation at the first observation (room to grow before theta).</summary>
    public double StartingUtilisation { get; init; } = 0.6;

    /// <summary>A plan is carried out only where the forecast peak is above this utilisation...</summary>
    public double Theta { get; init; } = 0.8;

    /// <summary>...and the plan lowers the forecast peak by at least this much (hysteresis: small gains do not move data back and forth).</summary>
    public double MinGain { get; init; } = 0.05;

    /// <summary>
    /// A partition whose recent load is above this share of a node's capacity is cut in two at its load-weighted
    /// midpoint before planning (a split: on a store only a cut, no key moves until a child does), so that a hot range
    /// can be spread over nodes instead of sitting whole on one.
    /// </summary>
    public double SplitShare { get; init; } = 0.25;

    /// <summary>Most partitions the splits may make.</summary>
    public int MaxPartitions { get; init; } = 128;

    /// <summary>Steps of history kept per slot.</summary>
    public int HistorySteps { get; init; } = 288;

    /// <summary>
    /// Steps from one planned cycle to the next; the steps between only observe (and watch for anomalies). 1: every
    /// step plans. An anomaly plans at once, whatever the schedule.
    /// </summary>
    public int PlanEvery { get; init; } = 1;

    /// <summary>Watch each range of the even cut for anomalies in its traffic; an alarm plans a cycle at once.</summary>
    public bool DetectAnomalies { get; init; } = true;

    /// <summary>
    /// An alarm while the loop's own execution runs plans at once from the store as it stands (slots in transit
    /// counted at their source) and, where the plan passes the same test as any, replaces the moves not yet started
    /// (decision `replanned`); false: the alarm waits for the execution to end.
    /// </summary>
    public bool ReplanOnAnomaly { get; init; } = true;

    /// <summary>The detector's settings; null: its defaults, comparing against the history the loop keeps (docs/detect.md).</summary>
    public DetectorOptions? Detector { get; init; }

    /// <summary>The detector's settings in effect.</summary>
    public DetectorOptions DetectorInEffect => Detector ?? new DetectorOptions { MaxHistory = HistorySteps };

    public PlanOptions Plan { get; init; } = new() { TimeMs = 300, AdviseScaling = false };

    /// <summary>
    /// Called every step with each range of the even cut (<see cref="Partitions"/> ranges, fixed whatever the cycle's
    /// own cut) and its operations per second over the step: the per-range series a server ingests for `forecast`
    /// and for its model's adaptation.
    /// </summary>
    public Action<IReadOnlyList<(SlotRange Range, double OperationsPerSecond)>>? Observed { get; init; }

    /// <summary>The LSTM each cycle forecasts with, asked for at every cycle (a server's served version); null: the shipped model.</summary>
    public Func<Models.Neural.LstmNetwork?>? ForecastNetwork { get; init; }

    public ExecutorOptions Executor { get; init; } = new();

    public void Validate()
    {
        string? problem =
            !(Step > TimeSpan.Zero) ? $"the step must be positive, found {Step}" :
            Horizon is < 1 or > 288 ? $"the horizon must be 1 to 288 steps, found {Horizon}" :
            !(Quantile is > 0 and < 1) ? $"the quantile must lie strictly between 0 and 1, found {Quantile}" :
            Partitions is < 1 or > 16384 ? $"partitions must be 1 to 16384, found {Partitions}" :
            NodeCapacity is { } c && !(c > 0 && double.IsFinite(c)) ? $"the node capacity must be a positive number, found {c}" :
            !(Theta is > 0 and <= 10) ? $"theta must be a utilisation above 0, found {Theta}" :
            !(MinGain >= 0) ? $"the minimum gain must be 0 or more, found {MinGain}" :
            !(StartingUtilisation is > 0 and <= 10) ? $"the starting utilisation must be above 0, found {StartingUtilisation}" :
            HistorySteps < 3 ? $"at least 3 steps of history are kept, found {HistorySteps}" :
            !(SplitShare > 0) ? $"the split share must be above 0, found {SplitShare}" :
            MaxPartitions < Partitions || MaxPartitions > 16384 ? $"most partitions must be {Partitions} (the partitions) to 16384, found {MaxPartitions}" :
            PlanEvery < 1 ? $"a cycle plans every 1 or more steps, found {PlanEvery}" :
            null;
        if (problem is null && DetectAnomalies)
        {
            DetectorInEffect.Validate();
        }

        if (problem is not null)
        {
            throw new ArgumentException(problem);
        }
    }
}

/// <summary>What one cycle saw, forecast, decided and did.</summary>
/// <param name="Measured">Each node's utilisation over the step just observed (operations per second over capacity).</param>
/// <param name="ForecastPeak">The highest node utilisation the forecast expects over the horizon with the current placement.</param>
/// <param name="PlannedPeak">The same with the plan's placement.</param>
/// <param name="Decision">`act` (the plan's execution started), `replanned` (an anomaly during the loop's execution: the new plan replaced the moves not yet started), or why not: `executing` (the last plan is still being carried out; where an anomaly planned the step, its plan did not pass the test below), `within_theta`, `small_gain`, `nothing_to_move`, `observed` (a step between planned cycles, with no anomaly).</param>
/// <param name="Finished">The loop's execution that ended since the cycle before, if one did.</param>
/// <param name="Partitions">Partitions planned, after the splits of hot ranges (0 where the cycle did not plan).</param>
/// <param name="Problem">Why the store could not be observed (decision `unobserved`); the loop goes on with the next step.</param>
/// <param name="Anomalies">The ranges whose traffic raised an alarm at this step, the most anomalous first (none: an empty list).</param>
/// <param name="Trigger">What planned this cycle: `schedule` (every <see cref="ControlOptions.PlanEvery"/> steps) or `anomaly` (an alarm between them, at this step or at one where the loop could not plan); null where it did not plan.</param>
public sealed record CycleReport(
    int Cycle, TimeSpan At, IReadOnlyDictionary<string, double> Measured, double ForecastPeak, double PlannedPeak, string Decision,
    int Moves, double Bytes, string? ForecastModels, ExecutionReport? Finished, TimeSpan PlanTime, int Partitions = 0, string? Problem = null,
    IReadOnlyList<PartitionAnomaly>? Anomalies = null, string? Trigger = null)
{
    public IReadOnlyList<PartitionAnomaly> Anomalies { get; init; } = Anomalies ?? [];
}

/// <summary>
/// The control loop over a managed store: every step it observes each slot's traffic (counted by Shardcast's client
/// layer), keeps it as history, writes the store as a cluster file whose partitions carry that history, lets the
/// planner forecast every partition over the horizon and plan for the forecast (with the movement guard), and
/// carries the plan out with the executor only where the forecast peak is above theta and the plan lowers it by at
/// least the minimum gain. Acting on the forecast moves load before a node overloads, not after. An execution runs
/// beside the cycles (they go on observing, so the history keeps its step); no new plan is carried out until it
/// has ended, since a plan made from a store half-way through a plan would be planned from a state about to change.
/// Planned cycles come every <see cref="ControlOptions.PlanEvery"/> steps; between them a step only observes, unless
/// a range's traffic raises an anomaly alarm (<see cref="PartitionAnomalyWatch"/>), which plans at once.
/// </summary>
public sealed class ControlLoop
{
    private readonly ManagedStore _store;
    private readonly ControlOptions _options;
    private readonly SlotLoadHistory _history;
    private readonly PartitionAnomalyWatch? _watch;
    private readonly SlotRange[] _evenCut;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly PlanSchedule _schedule;
    private double? _capacity;
    private int _cycle;
    private PlanExecution? _running;

    public ControlLoop(ManagedStore store, ControlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new ControlOptions();
        _options.Validate();
        _history = new SlotLoadHistory(_options.HistorySteps);
        _watch = _options.DetectAnomalies ? new PartitionAnomalyWatch(_options.Partitions, _options.DetectorInEffect) : null;
        _evenCut = [.. Enumerable.Range(0, _options.Partitions).Select(i => SlotRange.EvenShare(i, _options.Partitions))];
        _capacity = _options.NodeCapacity;
        _schedule = new PlanSchedule(_options.PlanEvery);
    }

    /// <summary>The node capacity planned with (fixed at the first cycle where none was given).</summary>
    public double? NodeCapacity => _capacity;

    /// <summary>Runs a cycle every step until <paramref name="cycles"/> have run (null: until cancelled), reporting each.</summary>
    public async Task<IReadOnlyList<CycleReport>> RunAsync(int? cycles, IProgress<CycleReport>? progress = null, CancellationToken cancellation = default)
    {
        var reports = new List<CycleReport>();
        _store.Traffic.Take();
        var next = _clock.Elapsed + _options.Step;
        while (cycles is null || reports.Count < cycles)
        {
            var wait = next - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellation).ConfigureAwait(false);
            }

            CycleReport report;
            try
            {
                report = await CycleAsync(cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (IsStoreTrouble(e) && !cancellation.IsCancellationRequested)
            {
                // A node that does not answer, a slot a recovery left in transit: this step is not planned, the next
                // one tries again (an execution the loop started goes on or rolls back by itself).
                report = new CycleReport(_cycle, _clock.Elapsed, new Dictionary<string, double>(), double.NaN, double.NaN, "unobserved", 0, 0, null, null, TimeSpan.Zero, 0, e.Message);
            }

            reports.Add(report);
            progress?.Report(report);
            next = Max(next + _options.Step, _clock.Elapsed);
        }

        return reports;
    }

    /// <summary>One cycle: observe the step since the last, forecast, plan, decide, and act where it pays.</summary>
    public async Task<CycleReport> CycleAsync(CancellationToken cancellation = default)
    {
        int cycle = ++_cycle;
        var at = _clock.Elapsed;
        var window = _store.Traffic.Take();
        _history.Append(window);
        _options.Observed?.Invoke([.. _evenCut.Select(r => (r, window.OperationsPerSecond(r)))]);
        var anomalies = _watch?.Observe(window) ?? [];
        _schedule.Step(anomalies.Count > 0);
        ExecutionReport? finished = null;
        if (_running is { Completion.IsCompleted: true } ended)
        {
            finished = await ended.Completion.ConfigureAwait(false);
            _running = null;
        }

        if (_running is not null || _store.Current.Execution is { Completion.IsCompleted: false })
        {
            if (_options.ReplanOnAnomaly && _schedule.AnomalyPending && _running is { Completion.IsCompleted: false } own)
            {
                // A flash crowd does not wait for the moves planned before it: plan from the store as it stands and
                // let the execution reconcile (moves in flight finish, those not started are replaced).
                return await PlanAsync(cycle, at, window, finished, anomalies, "anomaly", own, cancellation).ConfigureAwait(false);
            }

            // Slots are in transit: the store is observed from its slot map (who owns each slot now) and not planned.
            var map = await _store.Store.ReadSlotMapAsync().ConfigureAwait(false);
            var load = Measure(map, window, _capacity ?? double.NaN);
            return new CycleReport(cycle, at, load, double.NaN, double.NaN, "executing", 0, 0, null, finished, TimeSpan.Zero, Anomalies: anomalies);
        }

        if (_schedule.Due is not { } trigger)
        {
            var map = await _store.Store.ReadSlotMapAsync().ConfigureAwait(false);
            return new CycleReport(cycle, at, Measure(map, window, _capacity ?? double.NaN), double.NaN, double.NaN, "observed", 0, 0, null, finished, TimeSpan.Zero);
        }

        return await PlanAsync(cycle, at, window, finished, anomalies, trigger, null, cancellation).ConfigureAwait(false);
    }

    /// <summary>A planned cycle: forecast, plan, decide, and carry the plan out, or reconcile it with <paramref name="running"/> (the loop's execution, during which an anomaly planned).</summary>
    private async Task<CycleReport> PlanAsync(int cycle, TimeSpan at, SlotTrafficWindow window, ExecutionReport? finished, IReadOnlyList<PartitionAnomaly> anomalies, string trigger, PlanExecution? running, CancellationToken cancellation)
    {
        var recent = _history.Recent(RecentSteps);
        var snapshot = await StoreSnapshot.ReadAsync(_store.Store, map => Cut(map, window, recent), window, cancellation, inTransitAtSource: running is not null).ConfigureAwait(false);
        double capacity = _capacity!.Value;
        var measured = snapshot.NodeLoad().ToDictionary(n => n.Key, n => n.Value / capacity);

        var forecast = new ForecastInput(p => _history.Of(p.Range), Math.Max(1, Math.Round(_options.Step.TotalSeconds, 3)), _options.Horizon, _options.Quantile);
        var spec = ClusterFileReader.Parse(StoreClusterFile.ToUtf8(snapshot, capacity, null, forecast));
        var planning = Stopwatch.StartNew();
        var plan = Planner.Plan(spec, _options.Plan with { Seed = (_options.Plan.Seed ?? 1) + (ulong)cycle, ForecastNetwork = _options.ForecastNetwork?.Invoke() ?? _options.Plan.ForecastNetwork }, cancellation);
        var planTime = planning.Elapsed;
        _schedule.Planned();

        double forecastPeak = plan.Before.PeakUtilisation, plannedPeak = plan.After.PeakUtilisation;
        string decision =
            plan.Moves.Count == 0 ? "nothing_to_move" :
            forecastPeak <= _options.Theta ? "within_theta" :
            forecastPeak - plannedPeak < _options.MinGain ? "small_gain" :
            "act";
        if (running is not null)
        {
            // The execution goes on whatever the re-plan decides; the cycle says so where the plan was not taken.
            decision = decision == "act" ? "replanned" : "executing";
        }

        bool carried = decision is "act" or "replanned";
        if (carried)
        {
            // The store's Execute reconciles with an execution still running (or starts afresh where it has just ended).
            (_running, _, _) = _store.Execute(StorePlan.From(plan.Moves, snapshot.Map), _options.Executor);
        }

        return new CycleReport(cycle, at, measured, forecastPeak, plannedPeak, decision, carried ? plan.Moves.Count : 0,
            carried ? plan.After.MovedBytes : 0, plan.Input.ForecastServed, finished, planTime, snapshot.Partitions.Count, Anomalies: anomalies, Trigger: trigger);
    }

    /// <summary>Steps of history a split looks at (a mean, so that one noisy step does not cut a range).</summary>
    private const int RecentSteps = 3;

    /// <summary>The even cut with its hot ranges split; fixes the node capacity first where none was set.</summary>
    private IReadOnlyList<StorePartition> Cut(DataPlane.Store.SlotMap map, SlotTrafficWindow window, double[] recent)
    {
        if (_capacity is null)
        {
            double total = window.Span > TimeSpan.Zero ? window.Operations.Sum() / window.Span.TotalSeconds : 0;
            _capacity = total > 0 ? total / map.Nodes.Count / _options.StartingUtilisation : 1;
        }

        return StorePartition.SplitHot(StorePartition.Cut(map, _options.Partitions), slot => recent[slot], _capacity.Value * _options.SplitShare, _options.MaxPartitions);
    }

    /// <summary>Each node's utilisation over the window, from the slots it owns now.</summary>
    private static Dictionary<string, double> Measure(DataPlane.Store.SlotMap map, SlotTrafficWindow window, double capacity)
    {
        var load = map.Nodes.ToDictionary(StoreSnapshot.NodeName, _ => 0.0);
        foreach (var (node, range) in map.Ranges())
        {
            load[StoreSnapshot.NodeName(node)] += window.OperationsPerSecond(range);
        }

        return load.ToDictionary(n => n.Key, n => n.Value / capacity);
    }

    /// <summary>Each node's utilisation over one step from now, observed without planning (what the loop left behind).</summary>
    public async Task<IReadOnlyDictionary<string, double>> MeasureAsync(CancellationToken cancellation = default)
    {
        _store.Traffic.Take();
        await Task.Delay(_options.Step, cancellation).ConfigureAwait(false);
        var window = _store.Traffic.Take();
        var map = await _store.Store.ReadSlotMapAsync().ConfigureAwait(false);
        return Measure(map, window, _capacity ?? double.NaN);
    }

    /// <summary>Waits for the execution the loop started last, if it is still running; its report, or null.</summary>
    public async Task<ExecutionReport?> DrainAsync()
    {
        if (_running is not { } running)
        {
            return null;
        }

        _running = null;
        return await running.Completion.ConfigureAwait(false);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static bool IsStoreTrouble(Exception e) =>
        e is DataPlane.Store.StoreCommandException or StackExchange.Redis.RedisException or IOException or TimeoutException or System.Net.Sockets.SocketException;
}
