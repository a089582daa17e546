using System.Globalization;
using Shardcast.Control.Simulation;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Demo;

/// <summary>How the predictive policy forecasts and plans.</summary>
public sealed record PredictiveOptions
{
    /// <summary>Steps forecast and planned for (the LSTM forecasts at most 12).</summary>
    public int Horizon { get; init; } = 12;

    public double Quantile { get; init; } = 0.9;

    public string Model { get; init; } = "auto";

    public int PlanTimeMs { get; init; } = 100;

    /// <summary>Act only where the plan lowers the forecast peak by at least this much (utilisation), unless nodes are being drained.</summary>
    public double MinGain { get; init; } = 0.05;

    /// <summary>A partition whose load is this many times its forecast (the planned quantile) is a surprise: a cycle runs at once.</summary>
    public double SurpriseRatio { get; init; } = 1.3;

    /// <summary>A node is drained only where the forecast says the cluster needs fewer nodes for this long (a drain and a later refill cost the node's bytes twice; a short dip does not pay for them).</summary>
    public double ScaleInHours { get; init; } = 6;

    /// <summary>
    /// Plan on each partition's median forecast (theta is the headroom) rather than its planned quantile: a node's sum
    /// of its partitions' own q0.9 is far above the node's q0.9, so planning on it sees hot nodes that will not be.
    /// </summary>
    public bool PlanOnMedian { get; init; }

    /// <summary>Add and drain nodes (false: plan on the nodes there are, as the other policies do).</summary>
    public bool Scaling { get; init; } = true;

    /// <summary>Consecutive cycles whose plan advised removing nodes before one is drained (hysteresis).</summary>
    public int RemoveAfterCycles { get; init; } = 6;

    public ulong Seed { get; init; } = 1;

    /// <summary>The objective's balance weight: low, so that plans fix what the forecast says will be hot rather than even out what will not.</summary>
    public double BalanceWeight { get; init; } = 0.05;

    /// <summary>The objective's migration weight: bytes cost ten times the planner's default.</summary>
    public double MoveWeight { get; init; } = 1;
}

/// <summary>
/// Shardcast's loop as a planner client: every step it sends the step's measured load per partition to the host
/// (`ingest`), asks for every partition's forecast over the horizon (`forecast`: the median and the planned quantile),
/// and asks for a plan on the forecast (`plan`), all over the socket with the C# client as any planner would. It
/// carries the plan out where the forecast peak is above theta and the plan lowers it enough, adds nodes where the
/// plan's capacity forecast says the horizon needs more than there are (ahead of the step that needs them, by the
/// time to provision and fill a node), and drains the node that holds the fewest bytes where the plan advised fewer
/// nodes several cycles in a row and a six-hour forecast agrees.
/// Between steps, a partition whose load runs well above its forecast (an anomaly) triggers a cycle at once, planned
/// on what is measured where it is above the forecast.
/// </summary>
public sealed class PredictivePolicy(ShardcastClient client, PredictiveOptions? options = null) : IRebalancePolicy
{
    /// <summary>Hour 0 of the simulated day: a Monday, midnight UTC (the forecasts' time of day and week).</summary>
    public static readonly DateTimeOffset DayStart = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    private readonly PredictiveOptions _options = options ?? new PredictiveOptions();
    private double[][]? _median, _upper;  // per partition, per step of the day: the one-step-ahead forecasts
    private double[][]? _current;         // per partition: the planned quantile over the horizon from this step
    private double[][]? _currentMedian;   // per partition: the median over the horizon from this step
    private double[]? _scale;             // per partition: the seasonal-naive forecast's mean absolute error over the warm-up (MASE's scale)
    private double[]? _scaleLag1;         // the same for the last value as the forecast
    private int _ingested;                // history steps sent so far
    private int _surpriseStep = -1;
    private int _removeAdvice;

    public string Name => "predictive";

    /// <summary>Milliseconds of each cycle's `forecast` and `plan` calls (round trips through the socket).</summary>
    public List<double> ForecastCallMs { get; } = [];

    public List<double> PlanCallMs { get; } = [];

    /// <summary>Cycles run, and of them how many an anomaly triggered.</summary>
    public int Cycles { get; private set; }

    public int AnomalyCycles { get; private set; }

    /// <summary>The models the host served the last forecast with.</summary>
    public string? ServedBy { get; private set; }

    /// <summary>
    /// MASE of the one-step-ahead medians over the compared steps, scaled per partition by the seasonal-naive
    /// forecast's in-sample error over the warm-up (the value a day back; the last value where the warm-up is shorter
    /// than two days), averaged over partitions.
    /// </summary>
    public double? ForecastMase => Mase(_scale);

    /// <summary>The same scaled by the last-value forecast's in-sample error: a harder bar at short steps, where load persists from one step to the next.</summary>
    public double? ForecastMaseLag1 => Mase(_scaleLag1);

    private double? Mase(double[]? scale)
    {
        if (_median is null || scale is null)
        {
            return null;
        }

        double sum = 0;
        int series = 0;
        for (int p = 0; p < _median.Length; p++)
        {
            double error = 0;
            int n = 0;
            for (int s = 0; s < _median[p].Length; s++)
            {
                if (!double.IsNaN(_median[p][s]) && _actual![p][s] is var a && !double.IsNaN(a))
                {
                    error += Math.Abs(a - _median[p][s]);
                    n++;
                }
            }

            if (n > 0 && scale[p] > 0)
            {
                sum += error / n / scale[p];
                series++;
            }
        }

        return series > 0 ? sum / series : null;
    }

    private double[][]? _actual;

    /// <summary>Per step of the compared day: the one-step-ahead median and the planned quantile for a partition (NaN where none was made).</summary>
    public (double[] Median, double[] Upper) ForecastOf(int partition) => (_median![partition], _upper![partition]);

    public async ValueTask<PolicyActions> DecideAsync(ClusterView view, CancellationToken cancellation)
    {
        int p = view.Partitions;
        if (_median is null)
        {
            _median = NaNs(p, view.Scenario.Steps);
            _upper = NaNs(p, view.Scenario.Steps);
            _actual = NaNs(p, view.Scenario.Steps);
            int season = view.ObservedSteps >= 2 * view.Scenario.StepsPerDay ? view.Scenario.StepsPerDay : 1;
            _scale = Enumerable.Range(0, p).Select(i => NaiveScale(view, i, season)).ToArray();
            _scaleLag1 = Enumerable.Range(0, p).Select(i => NaiveScale(view, i, 1)).ToArray();
        }

        if (view.StepStart)
        {
            await IngestAsync(view, cancellation).ConfigureAwait(false);
            await ForecastAsync(view, cancellation).ConfigureAwait(false);
            return await CycleAsync(view, _options.PlanOnMedian ? _currentMedian! : _current!, cancellation).ConfigureAwait(false);
        }

        // Between steps: a cycle at once where a partition runs well above its forecast and its node is hot.
        if (_current is null || _surpriseStep == view.Step)
        {
            return PolicyActions.None;
        }

        double[][]? surprised = null;
        var nodeLoad = new double[view.Nodes.Count];
        for (int i = 0; i < p; i++)
        {
            nodeLoad[view.Owner[i]] += view.PartitionLoad[i];
        }

        double floor = 0.05 * view.Scenario.NodeCapacity;
        for (int i = 0; i < p; i++)
        {
            double now = view.PartitionLoad[i];
            if (now > _options.SurpriseRatio * _current[i][0] + floor && nodeLoad[view.Owner[i]] > view.Scenario.Theta * view.Scenario.NodeCapacity)
            {
                surprised ??= (_options.PlanOnMedian ? _currentMedian! : _current).Select(row => (double[])row.Clone()).ToArray();
                for (int h = 0; h < surprised[i].Length; h++)
                {
                    surprised[i][h] = Math.Max(surprised[i][h], now);
                }
            }
        }

        if (surprised is null)
        {
            return PolicyActions.None;
        }

        _surpriseStep = view.Step;
        AnomalyCycles++;
        return await CycleAsync(view, surprised, cancellation).ConfigureAwait(false);
    }

    /// <summary>Sends every observed step not sent yet: the whole warm-up at the first call, one step per call after.</summary>
    private async Task IngestAsync(ClusterView view, CancellationToken cancellation)
    {
        int observed = view.ObservedSteps;
        if (observed <= _ingested)
        {
            return;
        }

        int stepSeconds = view.Scenario.StepMinutes * 60;
        long end = DayStart.ToUnixTimeSeconds() + (long)(observed - view.Scenario.WarmupSteps - 1) * stepSeconds;
        var series = new MsgPackValue[view.Partitions];
        for (int i = 0; i < view.Partitions; i++)
        {
            var values = new MsgPackValue[observed - _ingested];
            for (int s = _ingested; s < observed; s++)
            {
                values[s - _ingested] = MsgPackValue.From(view.Observed(s, i));
            }

            if (view.Step > 0)
            {
                _actual![i][view.Step - 1] = view.Observed(observed - 1, i);
            }

            series[i] = MsgPackValue.Map(
                ("id", MsgPackValue.From(DemandSet.PartitionName(i))),
                ("step_seconds", MsgPackValue.From(stepSeconds)),
                ("values", MsgPackValue.FromArray(values)),
                ("end", MsgPackValue.From(end)));
        }

        await client.CallAsync("ingest", MsgPackValue.Map(("series", MsgPackValue.FromArray(series))), cancellation).ConfigureAwait(false);
        _ingested = observed;
    }

    /// <summary>Every partition's median and planned quantile over the horizon, from the host's stored series.</summary>
    private async Task ForecastAsync(ClusterView view, CancellationToken cancellation)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var forecasts = await ForecastEveryPartitionAsync(view.Partitions, _options.Horizon, _options.Model, cancellation).ConfigureAwait(false);
        ForecastCallMs.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _current = new double[view.Partitions][];
        _currentMedian = new double[view.Partitions][];
        var served = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < view.Partitions; i++)
        {
            var forecast = forecasts[i];
            served.Add(forecast["served_by"]!.String);
            var quantiles = forecast["values"]!.Items;
            var median = quantiles[0].Items;
            var upper = quantiles[1].Items;
            _current[i] = upper.Select(v => Math.Max(0, v.AsDouble())).ToArray();
            _currentMedian[i] = median.Select(v => Math.Max(0, v.AsDouble())).ToArray();
            if (view.Step < _median![i].Length)
            {
                _median[i][view.Step] = Math.Max(0, median[0].AsDouble());
                _upper![i][view.Step] = _current[i][0];
            }
        }

        ServedBy = string.Join(", ", served);
    }

    /// <summary>Every ingested partition's median and planned quantile over <paramref name="horizon"/> steps: the host's `forecast` answers, in partition order.</summary>
    private async Task<IReadOnlyList<MsgPackValue>> ForecastEveryPartitionAsync(int partitions, int horizon, string model, CancellationToken cancellation)
    {
        var ids = Enumerable.Range(0, partitions).Select(i => MsgPackValue.Map(("id", MsgPackValue.From(DemandSet.PartitionName(i))))).ToArray();
        var answer = await client.CallAsync("forecast", MsgPackValue.Map(
            ("series", MsgPackValue.FromArray(ids)),
            ("horizon", MsgPackValue.From(horizon)),
            ("quantiles", MsgPackValue.FromArray([MsgPackValue.From(0.5), MsgPackValue.From(_options.Quantile)])),
            ("model", MsgPackValue.From(model))), cancellation).ConfigureAwait(false);
        return answer["forecasts"]!.Items;
    }

    private async Task<PolicyActions> CycleAsync(ClusterView view, double[][] load, CancellationToken cancellation)
    {
        Cycles++;
        var s = view.Scenario;
        var nodes = new List<MsgPackValue>();
        for (int n = 0; n < view.Nodes.Count; n++)
        {
            var node = view.Nodes[n];
            if (!node.InCluster)
            {
                continue;
            }

            string state = node.Draining ? "draining" : node.IsReady(view.Tick) ? "active" : "new";
            nodes.Add(MsgPackValue.Map(("id", MsgPackValue.From(node.Id)), ("capacity", Numbers(s.NodeCapacity)), ("state", MsgPackValue.From(state))));
        }

        var partitions = new MsgPackValue[view.Partitions];
        for (int i = 0; i < view.Partitions; i++)
        {
            partitions[i] = MsgPackValue.Map(
                ("id", MsgPackValue.From(DemandSet.PartitionName(i))),
                ("node", MsgPackValue.From(view.Nodes[view.Destination(i)].Id)),
                ("size_bytes", MsgPackValue.From(view.SizeBytes(i))),
                ("pinned", MsgPackValue.From(view.MovingTo[i] >= 0)),
                ("load", MsgPackValue.FromArray(load[i].Select(v => Numbers(v)))));
        }

        var request = MsgPackValue.Map(
            ("resources", MsgPackValue.FromArray([MsgPackValue.From("ops")])),
            ("horizon", MsgPackValue.Map(("steps", MsgPackValue.From(_options.Horizon)), ("step_seconds", MsgPackValue.From(s.StepMinutes * 60)))),
            ("nodes", MsgPackValue.FromArray(nodes)),
            ("partitions", MsgPackValue.FromArray(partitions)),
            ("objective", MsgPackValue.Map(("theta", MsgPackValue.From(s.Theta)), ("w_bal", MsgPackValue.From(_options.BalanceWeight)), ("w_move", MsgPackValue.From(_options.MoveWeight)))),
            // The capacity forecast (scaling.add, remove) is all the policy reads: the search for nodes_to_add would cost
            // several more searches on every overloaded cycle.
            ("options", MsgPackValue.Map(("time_ms", MsgPackValue.From(_options.PlanTimeMs)), ("seed", MsgPackValue.From(_options.Seed + (ulong)Cycles)), ("advise_scaling", MsgPackValue.False))));
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var plan = await client.CallAsync("plan", request, cancellation).ConfigureAwait(false);
        PlanCallMs.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);

        var actions = new PolicyActions { Planned = true };
        var index = Enumerable.Range(0, view.Nodes.Count).ToDictionary(n => view.Nodes[n].Id, StringComparer.Ordinal);
        double before = plan["peak_utilisation_before"]!.AsDouble(), after = plan["peak_utilisation_after"]!.AsDouble();
        bool draining = view.Nodes.Any(n => n is { InCluster: true, Draining: true });
        if (draining || (before > s.Theta && before - after >= _options.MinGain))
        {
            foreach (var move in plan["moves"]!.Items)
            {
                int partition = int.Parse(move["partition"]!.String.AsSpan(1), CultureInfo.InvariantCulture);
                actions.Moves.Add(new SimMove(partition, index[move["to"]!.String]));
            }
        }

        await ScaleAsync(view, plan["scaling"], actions, cancellation).ConfigureAwait(false);
        return actions;
    }

    /// <summary>
    /// Follows the plan's capacity forecast (docs/plan-file.md, `scaling`): adds the nodes it asks for where the first
    /// step that needs them is within the lead (the provisioning time and the time to fill a node with its share of
    /// the bytes); where the plan advises removing nodes several cycles in a row, and a longer forecast says the
    /// cluster needs fewer nodes for <see cref="PredictiveOptions.ScaleInHours"/>, drains one node: the one holding
    /// the fewest bytes (draining costs its bytes).
    /// </summary>
    private async Task ScaleAsync(ClusterView view, MsgPackValue? scaling, PolicyActions actions, CancellationToken cancellation)
    {
        if (!_options.Scaling || scaling is null || scaling.Kind != MsgPackKind.Map)
        {
            return;
        }

        var s = view.Scenario;
        bool provisioning = view.Nodes.Any(n => n.InCluster && !n.IsReady(view.Tick));
        bool draining = view.Nodes.Any(n => n is { InCluster: true, Draining: true });
        int add = Integer(scaling["add"]);
        if (add > 0)
        {
            _removeAdvice = 0;
            if (!provisioning && Integer(scaling["from_step"]) <= LeadSteps(view))
            {
                actions.AddNodes = add;
            }

            return;
        }

        _removeAdvice = Integer(scaling["remove"]) > 0 ? _removeAdvice + 1 : 0;
        if (_removeAdvice < _options.RemoveAfterCycles || provisioning || draining || view.MovingTo.Any(m => m >= 0))
        {
            return;
        }

        int have = view.Nodes.Count(n => n.Accepts);
        if (await NodesNeededAheadAsync(view, cancellation).ConfigureAwait(false) + 1 >= have)
        {
            return;
        }

        var bytes = new double[view.Nodes.Count];
        for (int i = 0; i < view.Partitions; i++)
        {
            bytes[view.Owner[i]] += view.SizeBytes(i);
        }

        actions.Drain.Add(Enumerable.Range(0, view.Nodes.Count).Where(n => view.Nodes[n].Accepts && view.Nodes[n].IsReady(view.Tick)).MinBy(n => bytes[n]));
        _removeAdvice = 0;
    }

    /// <summary>Steps between asking for a node and its carrying its share: provisioning, then copying a node's share of the bytes at the moves it may run at once.</summary>
    private static int LeadSteps(ClusterView view)
    {
        var s = view.Scenario;
        double share = Enumerable.Range(0, view.Partitions).Sum(view.SizeBytes) / Math.Max(1, view.Nodes.Count(n => n.Accepts));
        double fillMinutes = share / (s.MovesPerNode * s.MigrationBytesPerSecond) / 60;
        return (int)Math.Ceiling((s.ProvisionMinutes + fillMinutes) / s.StepMinutes) + 1;
    }

    /// <summary>
    /// The most nodes any step of the next <see cref="PredictiveOptions.ScaleInHours"/> needs: the cluster's total load
    /// at the planned quantile over theta times a node's capacity. The total's quantile is the sum of the medians plus
    /// the root of the summed squares of each partition's spread (as for independent partitions: summing every
    /// partition's own quantile would provision for all of them peaking at once). Forecast by ETS where the model
    /// asked for is the LSTM (it forecasts 12 steps at most).
    /// </summary>
    private async Task<int> NodesNeededAheadAsync(ClusterView view, CancellationToken cancellation)
    {
        var s = view.Scenario;
        int horizon = Math.Max(1, (int)Math.Round(_options.ScaleInHours * 60 / s.StepMinutes));
        var forecasts = await ForecastEveryPartitionAsync(view.Partitions, horizon, _options.Model == "lstm" ? "ets" : _options.Model, cancellation).ConfigureAwait(false);
        var median = new double[horizon];
        var spread = new double[horizon];
        foreach (var forecast in forecasts)
        {
            var quantiles = forecast["values"]!.Items;
            for (int h = 0; h < horizon; h++)
            {
                double m = Math.Max(0, quantiles[0].Items[h].AsDouble()), u = Math.Max(m, quantiles[1].Items[h].AsDouble());
                median[h] += m;
                spread[h] += (u - m) * (u - m);
            }
        }

        return Enumerable.Range(0, horizon).Max(h => (int)Math.Ceiling((median[h] + Math.Sqrt(spread[h])) / (s.Theta * s.NodeCapacity)));
    }

    private static int Integer(MsgPackValue? value) => value is { Kind: MsgPackKind.Integer or MsgPackKind.Float } v ? (int)v.AsDouble() : 0;

    private static MsgPackValue Numbers(double value) => MsgPackValue.FromArray([MsgPackValue.From(value)]);

    private static double[][] NaNs(int rows, int columns) =>
        Enumerable.Range(0, rows).Select(_ => Enumerable.Repeat(double.NaN, columns).ToArray()).ToArray();

    /// <summary>MASE's scale: the mean absolute change over <paramref name="lag"/> steps across the warm-up (the naive forecast's in-sample error at that lag).</summary>
    private static double NaiveScale(ClusterView view, int partition, int lag)
    {
        int n = view.ObservedSteps;
        double sum = 0;
        for (int s = lag; s < n; s++)
        {
            sum += Math.Abs(view.Observed(s, partition) - view.Observed(s - lag, partition));
        }

        return n > lag ? sum / (n - lag) : double.NaN;
    }
}
