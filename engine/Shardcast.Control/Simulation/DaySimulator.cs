using System.Diagnostics;
using System.Globalization;

namespace Shardcast.Control.Simulation;

/// <summary>A move the simulation carried out (or is carrying out).</summary>
/// <param name="Reason">`drain` (off a node being emptied), `scale_out` (onto a node added during the day) or `rebalance`.</param>
public sealed record SimMoveRecord(int Partition, int From, int To, int StartTick, int? EndTick, double Bytes, string Reason = "rebalance");

/// <summary>What one policy did to the simulated day, minute by minute, and its figures.</summary>
public sealed class PolicyRun
{
    public required string Policy { get; init; }

    public required IReadOnlyList<SimNode> Nodes { get; init; }

    /// <summary>Per node index, per step: mean utilisation over the step's ticks (NaN where the node was not in the cluster).</summary>
    public required List<double[]> NodeUtilisation { get; init; }

    /// <summary>Per step: nodes in the cluster (provisioning ones included).</summary>
    public required int[] NodeCount { get; init; }

    public required List<SimMoveRecord> Moves { get; init; }

    public required double OverloadNodeMinutes { get; init; }

    /// <summary>Per step: node-minutes above capacity.</summary>
    public required double[] OverloadPerStep { get; init; }

    public required double OverThetaNodeMinutes { get; init; }

    public required double P99LatencyMs { get; init; }

    public required double NodeHours { get; init; }

    public required double BytesMoved { get; init; }

    public required double[] PlanMs { get; init; }

    /// <summary>Moves a policy asked for that the simulation refused (target gone or the partition already moving).</summary>
    public required int RefusedMoves { get; init; }

    /// <summary>Each partition's node at the end of each step (the store replays these).</summary>
    public required List<int[]> OwnerAtStep { get; init; }

    public double PlanMsPercentile(double q) => Percentile(PlanMs, q);

    public static double Percentile(double[] values, double q)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        var sorted = values.Order().ToArray();
        double rank = q * (sorted.Length - 1);
        int low = (int)Math.Floor(rank), high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}

/// <summary>
/// Runs one policy over the scenario's day a minute at a time, with the same demand, the same migration costs and
/// the same scripted events for every policy. A move copies its partition's bytes at the migration bandwidth; while
/// it copies, the partition is served by its source and both ends carry the copy load; a node takes part in at most
/// <see cref="DemoScenario.MovesPerNode"/> moves at once (the rest wait). A failed node's partitions fail over to the
/// least loaded nodes at once (replicas take over: no copy). Latency is an M/M/1 estimate per node and minute, plus the wait behind the backlog an overload leaves.
/// </summary>
public sealed class DaySimulator
{
    /// <summary>The most latency counted: a client's timeout.</summary>
    public const double TimeoutMs = 10_000;

    private readonly DemoScenario _scenario;
    private readonly DemandSet _demand;

    public DaySimulator(DemoScenario scenario, DemandSet demand)
    {
        scenario.Validate();
        if (demand.Partitions != scenario.Partitions || demand.Steps != scenario.Steps || demand.WarmupSteps != scenario.WarmupSteps)
        {
            throw new ArgumentException("the demand was made for another scenario");
        }

        _scenario = scenario;
        _demand = demand;
    }

    /// <summary>The starting placement every policy shares: partitions dealt to nodes heaviest first, each to the node with the least total mean load of the last warm-up day.</summary>
    public static int[] InitialPlacement(DemoScenario scenario, DemandSet demand)
    {
        int p = demand.Partitions;
        var mean = new double[p];
        int from = Math.Max(0, demand.WarmupSteps - scenario.StepsPerDay);
        int to = Math.Max(from + 1, demand.WarmupSteps);
        for (int s = from; s < to; s++)
        {
            for (int i = 0; i < p; i++)
            {
                mean[i] += demand.Load[s * p + i];
            }
        }

        var owner = new int[p];
        var total = new double[scenario.Nodes];
        foreach (int i in Enumerable.Range(0, p).OrderByDescending(i => mean[i]).ThenBy(i => i))
        {
            int node = Array.IndexOf(total, total.Min());
            owner[i] = node;
            total[node] += mean[i];
        }

        return owner;
    }

    public static string NodeName(int index) => "n" + index.ToString(CultureInfo.InvariantCulture);

    public async Task<PolicyRun> RunAsync(IRebalancePolicy policy, IProgress<SimProgress>? progress = null, CancellationToken cancellation = default)
    {
        var s = _scenario;
        int p = _demand.Partitions, ticks = s.Ticks, perStep = s.TicksPerStep;
        var nodes = Enumerable.Range(0, s.Nodes).Select(i => new SimNode(NodeName(i), 0, 0)).ToList();
        var owner = InitialPlacement(s, _demand);
        var movingTo = Enumerable.Repeat(-1, p).ToArray();
        var view = new ClusterView(s, _demand, nodes, owner, movingTo);
        var pending = new List<int>(); // partitions waiting for their move to start, in the order asked
        var active = new Dictionary<int, (double Left, SimMoveRecord Record)>();
        var moves = new List<SimMoveRecord>();
        var utilisation = new List<double[]>();
        var nodeCount = new int[s.Steps];
        var overloadPerStep = new double[s.Steps];
        var ownerAtStep = new List<int[]>(s.Steps);
        var planMs = new List<double>();
        var latency = new List<(double Ms, double Requests)>();
        double overload = 0, overTheta = 0, nodeMinutes = 0, bytesMoved = 0;
        int refused = 0;
        int? failTick = s.FailureHour is { } fh ? (int)Math.Round(fh * 60) : null;
        int? addTick = s.AddHour is { } ah ? (int)Math.Round(ah * 60) : null;
        var clock = new Stopwatch();
        var nodeLoad = new double[nodes.Count];
        var copyLoad = new double[nodes.Count];
        var busy = new int[nodes.Count];
        var backlog = new double[nodes.Count]; // requests queued beyond what a node served (a fluid queue: it grows while overloaded)

        for (int tick = 0; tick < ticks; tick++)
        {
            cancellation.ThrowIfCancellationRequested();
            int step = tick / perStep;
            view.Tick = tick;
            if (tick == failTick)
            {
                Fail(FailedNode(nodes, tick), tick);
            }

            if (tick == addTick)
            {
                nodes.Add(new SimNode(NodeName(nodes.Count), tick, tick));
            }

            clock.Restart();
            var actions = await policy.DecideAsync(view, cancellation).ConfigureAwait(false);
            clock.Stop();
            if (actions.Planned)
            {
                planMs.Add(clock.Elapsed.TotalMilliseconds);
            }

            Apply(actions, tick);
            EnsureNodeArrays();
            StartMoves(tick);

            // The tick's load: demand where each partition is served, plus the copy load of moves in flight.
            var demand = _demand.At(step);
            Array.Clear(nodeLoad);
            Array.Clear(copyLoad);
            for (int i = 0; i < p; i++)
            {
                nodeLoad[owner[i]] += demand[i];
                view.PartitionLoad[i] = demand[i];
            }

            foreach (var (partition, move) in active)
            {
                double extra = s.CopyLoadShare * demand[partition];
                copyLoad[move.Record.From] += extra;
                copyLoad[move.Record.To] += extra;
            }

            for (int n = 0; n < nodes.Count; n++)
            {
                nodeLoad[n] += copyLoad[n];
                if (!nodes[n].InCluster)
                {
                    continue;
                }

                nodeMinutes++;
                double u = nodeLoad[n] / s.NodeCapacity;
                overload += u > 1 ? 1 : 0;
                overloadPerStep[step] += u > 1 ? 1 : 0;
                overTheta += u > s.Theta ? 1 : 0;
                backlog[n] = Math.Max(0, backlog[n] + ((nodeLoad[n] - s.NodeCapacity) * 60));
                if (nodeLoad[n] > 0)
                {
                    latency.Add((P99LatencyMs(nodeLoad[n], s.NodeCapacity, backlog[n]), nodeLoad[n] * 60));
                }

                var series = utilisation[n];
                series[step] = (double.IsNaN(series[step]) ? 0 : series[step]) + u / perStep;
            }

            view.NodeLoad = nodeLoad;
            FinishMoves(tick);
            RemoveDrained(tick);
            if (tick % perStep == perStep - 1)
            {
                nodeCount[step] = nodes.Count(n => n.InCluster);
                ownerAtStep.Add((int[])owner.Clone());
                int hotNow = Enumerable.Range(0, nodes.Count).Count(n => nodes[n].InCluster && nodeLoad[n] > s.NodeCapacity);
                progress?.Report(new SimProgress(policy.Name, step + 1, s.Steps, overload, moves.Count, active.Count + pending.Count, bytesMoved, nodeCount[step], hotNow));
            }
        }

        return new PolicyRun
        {
            Policy = policy.Name,
            Nodes = nodes,
            NodeUtilisation = utilisation,
            NodeCount = nodeCount,
            Moves = moves,
            OverloadNodeMinutes = overload,
            OverloadPerStep = overloadPerStep,
            OverThetaNodeMinutes = overTheta,
            P99LatencyMs = WeightedPercentile(latency, 0.99),
            NodeHours = nodeMinutes / 60,
            BytesMoved = bytesMoved,
            PlanMs = planMs.ToArray(),
            RefusedMoves = refused,
            OwnerAtStep = ownerAtStep,
        };

        void EnsureNodeArrays()
        {
            while (utilisation.Count < nodes.Count)
            {
                utilisation.Add(Enumerable.Repeat(double.NaN, s.Steps).ToArray());
            }

            if (nodeLoad.Length < nodes.Count)
            {
                Array.Resize(ref nodeLoad, nodes.Count * 2);
                Array.Resize(ref copyLoad, nodes.Count * 2);
                Array.Resize(ref busy, nodes.Count * 2);
                Array.Resize(ref backlog, nodes.Count * 2);
                view.NodeLoad = nodeLoad;
            }
        }

        void Apply(PolicyActions actions, int tick)
        {
            for (int k = 0; k < actions.AddNodes; k++)
            {
                nodes.Add(new SimNode(NodeName(nodes.Count), tick, tick + s.ProvisionMinutes));
            }

            foreach (int n in actions.Drain)
            {
                if (n >= 0 && n < nodes.Count && nodes[n].InCluster && nodes.Count(x => x.Accepts) > 1)
                {
                    nodes[n].Draining = true;
                }
            }

            foreach (var move in actions.Moves)
            {
                bool valid = move.Partition >= 0 && move.Partition < p && move.Target >= 0 && move.Target < nodes.Count
                    && nodes[move.Target].Accepts && movingTo[move.Partition] < 0 && owner[move.Partition] != move.Target;
                if (!valid)
                {
                    refused++;
                    continue;
                }

                movingTo[move.Partition] = move.Target;
                pending.Add(move.Partition);
            }
        }

        void StartMoves(int tick)
        {
            Array.Clear(busy);
            foreach (var move in active.Values)
            {
                busy[move.Record.From]++;
                busy[move.Record.To]++;
            }

            for (int k = 0; k < pending.Count; k++)
            {
                int partition = pending[k];
                int from = owner[partition], to = movingTo[partition];
                if (!nodes[to].IsReady(tick) || busy[from] >= s.MovesPerNode || busy[to] >= s.MovesPerNode)
                {
                    continue;
                }

                busy[from]++;
                busy[to]++;
                string reason = nodes[from].Draining ? "drain" : nodes[to].AddedTick > 0 ? "scale_out" : "rebalance";
                var record = new SimMoveRecord(partition, from, to, tick, null, _demand.SizeBytes[partition], reason);
                active[partition] = (_demand.SizeBytes[partition], record);
                pending.RemoveAt(k--);
            }
        }

        void FinishMoves(int tick)
        {
            foreach (int partition in active.Keys.ToArray())
            {
                var (left, record) = active[partition];
                double copied = Math.Min(left, s.MigrationBytesPerSecond * 60);
                bytesMoved += copied;
                left -= copied;
                if (left > 0)
                {
                    active[partition] = (left, record);
                    continue;
                }

                active.Remove(partition);
                owner[partition] = record.To;
                movingTo[partition] = -1;
                moves.Add(record with { EndTick = tick + 1 });
            }
        }

        void RemoveDrained(int tick)
        {
            for (int n = 0; n < nodes.Count; n++)
            {
                if (nodes[n] is { Draining: true, InCluster: true } node && !owner.Contains(n) && !movingTo.Contains(n)
                    && !active.Values.Any(m => m.Record.From == n || m.Record.To == n))
                {
                    node.GoneTick = tick + 1;
                }
            }
        }

        void Fail(int n, int tick)
        {
            var node = nodes[n];
            node.GoneTick = tick;
            node.Failed = true;

            // Moves from or to it end now: its partitions fail over below; a move to it leaves its partition where it is.
            foreach (int partition in active.Keys.ToArray())
            {
                var record = active[partition].Record;
                if (record.From == n || record.To == n)
                {
                    active.Remove(partition);
                    movingTo[partition] = -1;
                    moves.Add(record with { EndTick = null });
                }
            }

            foreach (int partition in pending.Where(x => owner[x] == n || movingTo[x] == n).ToArray())
            {
                movingTo[partition] = -1;
                pending.Remove(partition);
            }

            var load = new double[nodes.Count];
            var demand = _demand.At(tick / perStep).ToArray();
            for (int i = 0; i < p; i++)
            {
                load[owner[i]] += demand[i];
            }

            foreach (int i in Enumerable.Range(0, p).Where(i => owner[i] == n).OrderByDescending(i => demand[i]).ToArray())
            {
                int to = Enumerable.Range(0, nodes.Count).Where(k => nodes[k].IsReady(tick) && !nodes[k].Draining)
                    .DefaultIfEmpty(-1).MinBy(k => k < 0 ? double.MaxValue : load[k]);
                if (to < 0)
                {
                    to = Enumerable.Range(0, nodes.Count).First(k => nodes[k].IsReady(tick));
                }

                owner[i] = to;
                load[to] += demand[i];
            }
        }
    }

    /// <summary>The node that fails: the second of the starting nodes still in the cluster (the same for every policy).</summary>
    private static int FailedNode(List<SimNode> nodes, int tick)
    {
        var candidates = Enumerable.Range(0, nodes.Count).Where(n => nodes[n].IsReady(tick)).ToArray();
        return candidates.Length > 1 ? candidates[1] : candidates[0];
    }

    /// <summary>
    /// A node's 99th percentile latency over a minute: an M/M/1 queue's time in system, ln(100) / (mu - lambda), with
    /// the utilisation capped at 0.99, plus the wait behind the backlog an overload left (backlog / mu), at most the
    /// client timeout.
    /// </summary>
    public static double P99LatencyMs(double load, double capacity, double backlog)
    {
        double spare = Math.Max(capacity - load, 0.01 * capacity);
        return Math.Min(TimeoutMs, (Math.Log(100) / spare * 1000) + (backlog / capacity * 1000));
    }

    internal static double WeightedPercentile(List<(double Value, double Weight)> samples, double q)
    {
        if (samples.Count == 0)
        {
            return 0;
        }

        var sorted = samples.OrderBy(x => x.Value).ToArray();
        double total = sorted.Sum(x => x.Weight), target = q * total, seen = 0;
        foreach (var (value, weight) in sorted)
        {
            seen += weight;
            if (seen >= target)
            {
                return value;
            }
        }

        return sorted[^1].Value;
    }
}

/// <summary>How far a policy's day has run.</summary>
/// <param name="Moves">Moves finished so far.</param>
/// <param name="InFlight">Moves copying or waiting to start.</param>
/// <param name="Overloaded">Nodes above capacity in the step's last minute.</param>
public readonly record struct SimProgress(string Policy, int Step, int Steps, double OverloadNodeMinutes, int Moves, int InFlight, double BytesMoved, int Nodes, int Overloaded);
