using Shardcast.Engine.Cluster;
using Shardcast.Models.Events;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Engine.Planning;

/// <summary>
/// A validated cluster with everything resolved to indices: the planning load of every partition (given, or
/// forecast from its history at the objective's quantile), zones, groups and tenants by number. The double
/// precision view that the reference cost and the flat problem are both built from.
/// </summary>
public sealed class PlanningInput
{
    private PlanningInput(ClusterSpec spec, Models.Neural.LstmNetwork? forecastNetwork)
    {
        Spec = spec;
        ForecastNetwork = forecastNetwork;
        NodeIndex = spec.Nodes.Select((n, i) => (n.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        PartitionIndex = spec.Partitions.Select((p, i) => (p.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        Zones = spec.Nodes.Select(n => n.Zone).Distinct(StringComparer.Ordinal).ToArray();
        var zoneIndex = Zones.Select((z, i) => (z, i)).ToDictionary(x => x.z, x => x.i, StringComparer.Ordinal);
        NodeZone = spec.Nodes.Select(n => zoneIndex[n.Zone]).ToArray();
        Steps = spec.Horizon.Steps;
        Resources = spec.Resources.Count;

        var groupNames = new List<string>();
        var groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in spec.Groups)
        {
            groupIndex[g.Id] = groupNames.Count;
            groupNames.Add(g.Id);
        }

        foreach (var p in spec.Partitions)
        {
            if (p.Group is { } g && !groupIndex.ContainsKey(g))
            {
                groupIndex[g] = groupNames.Count;
                groupNames.Add(g);
            }
        }

        GroupNames = groupNames;
        var declaredMinZones = spec.Groups.ToDictionary(g => g.Id, g => g.MinZones, StringComparer.Ordinal);
        GroupMinZones = groupNames.Select(g => declaredMinZones.GetValueOrDefault(g, 1)).ToArray();
        GroupOf = spec.Partitions.Select(p => p.Group is { } g ? groupIndex[g] : -1).ToArray();
        Initial = spec.Partitions.Select(p => NodeIndex[p.Node]).ToArray();
        Load = new double[spec.Partitions.Count][];
        SegmentLoad = new double[spec.Partitions.Count][][];
        var toForecast = new List<ForecastJob>();
        for (int i = 0; i < Load.Length; i++)
        {
            var partition = spec.Partitions[i];
            if (partition.Load is { } given)
            {
                Load[i] = Flatten(spec, given);
            }
            else if (partition.History is { } history)
            {
                int at = i;
                toForecast.Add(new ForecastJob(partition, partition.Id, history, $"$.partitions[{i}].history", row => Load[at] = row));
            }

            if (partition.Segments.Count > 0)
            {
                var rows = SegmentLoad[i] = new double[partition.Segments.Count][];
                for (int k = 0; k < rows.Length; k++)
                {
                    var segment = partition.Segments[k];
                    int at = k;
                    if (segment.Load is { } segmentLoad)
                    {
                        rows[k] = Flatten(spec, segmentLoad);
                    }
                    else
                    {
                        toForecast.Add(new ForecastJob(partition, $"{partition.Id}#{segment.Id}", segment.History!, $"$.partitions[{i}].segments[{k}].history", row => rows[at] = row));
                    }
                }
            }
        }

        ForecastServed = toForecast.Count > 0 ? ForecastLoads(spec, toForecast, forecastNetwork) : null;

        // A partition given by its segments alone carries their sum.
        for (int i = 0; i < Load.Length; i++)
        {
            if (Load[i] is null)
            {
                var sum = new double[Steps * Resources];
                foreach (var row in SegmentLoad[i]!)
                {
                    for (int k = 0; k < sum.Length; k++)
                    {
                        sum[k] += row[k];
                    }
                }

                Load[i] = sum;
            }
        }

        LaneLoad = new double[Steps * Resources];
        foreach (var row in Load)
        {
            for (int k = 0; k < LaneLoad.Length; k++)
            {
                LaneLoad[k] += row[k];
            }
        }

        ActiveCapacity = Enumerable.Range(0, Resources)
            .Select(r => spec.Nodes.Where(n => n.State != NodeState.Draining).Sum(n => n.Capacity[r]))
            .ToArray();

        ZoneDistance = new double[Zones.Count * Zones.Count];
        Array.Fill(ZoneDistance, 1.0);
        foreach (var d in spec.ZoneDistance)
        {
            ZoneDistance[(zoneIndex[d.A] * Zones.Count) + zoneIndex[d.B]] = d.Cost;
            ZoneDistance[(zoneIndex[d.B] * Zones.Count) + zoneIndex[d.A]] = d.Cost;
        }

        // Domain 0: every node that is not draining; domain t + 1: tenant t's nodes that are not draining.
        var domains = new bool[spec.Tenants.Count + 1][];
        domains[0] = spec.Nodes.Select(n => n.State != NodeState.Draining).ToArray();
        var tenantIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int t = 0; t < spec.Tenants.Count; t++)
        {
            tenantIndex[spec.Tenants[t].Id] = t;
            var nodes = spec.Tenants[t].Nodes.Select(n => NodeIndex[n]).ToHashSet();
            domains[t + 1] = spec.Nodes.Select((n, ni) => n.State != NodeState.Draining && nodes.Contains(ni)).ToArray();
        }

        Domains = domains;
        DomainOf = spec.Partitions.Select(p => p.Tenant is { } t ? tenantIndex[t] + 1 : 0).ToArray();

        ResourceIndex = spec.Resources.Select((r, i) => (r, i)).ToDictionary(x => x.r, x => x.i, StringComparer.Ordinal);
        Neighborhoods = spec.Nodes.Select(n => n.NeighborhoodName).Distinct(StringComparer.Ordinal).ToArray();
        var neighborhoodIndex = Neighborhoods.Select((z, i) => (z, i)).ToDictionary(x => x.z, x => x.i, StringComparer.Ordinal);
        NodeNeighborhood = spec.Nodes.Select(n => neighborhoodIndex[n.NeighborhoodName]).ToArray();
        Transient = spec.Resources.Select(r => spec.TransientResources.Contains(r)).ToArray();
        GroupDependsOn = new int[groupNames.Count][];
        Array.Fill(GroupDependsOn, []);
        foreach (var g in spec.Groups)
        {
            GroupDependsOn[groupIndex[g.Id]] = g.DependsOn.Select(d => groupIndex[d]).Distinct().ToArray();
        }

        NodeMoveCost = NodeMoveCostOf(spec, NodeIndex);
    }

    private static double[]? NodeMoveCostOf(ClusterSpec spec, IReadOnlyDictionary<string, int> nodeIndex)
    {
        int n = spec.Nodes.Count;
        if (spec.NodeMoveCostMatrix is { } matrix)
        {
            if (spec.NodeMoveCost.Count > 0)
            {
                throw new PlanningException("node move costs are given both as a list and as a matrix; give one");
            }

            if (matrix.Count != (long)n * n)
            {
                throw new PlanningException($"the node move cost matrix has {matrix.Count} entries; {n} nodes need {(long)n * n}");
            }

            // An array is validated and shared rather than copied: at 5,000 nodes it is 200 MB.
            var costs = matrix as double[] ?? [.. matrix];
            int bad = Array.FindIndex(costs, c => !double.IsFinite(c) || c < 0);
            return bad < 0 ? costs : throw new PlanningException($"node move cost from {spec.Nodes[bad / n].Id} to {spec.Nodes[bad % n].Id} must be finite and not negative, found {costs[bad]}");
        }

        if (spec.NodeMoveCost.Count == 0)
        {
            return null;
        }

        var fromList = new double[n * n];
        foreach (var c in spec.NodeMoveCost)
        {
            fromList[(nodeIndex[c.From] * n) + nodeIndex[c.To]] = c.Cost;
        }

        return fromList;
    }

    public IReadOnlyDictionary<string, int> ResourceIndex { get; }

    public IReadOnlyList<string> Neighborhoods { get; }

    public int[] NodeNeighborhood { get; }

    /// <summary>Per resource, whether a moved partition's load also stays on its initial node.</summary>
    public bool[] Transient { get; }

    /// <summary>Per group, the groups it depends on (distinct indices).</summary>
    public int[][] GroupDependsOn { get; }

    /// <summary>[from * N + to], or null where the cluster lists no node-pair move cost.</summary>
    public double[]? NodeMoveCost { get; }

    public double MoveCostBetween(int from, int to) => NodeMoveCost is { } m ? m[(from * Spec.Nodes.Count) + to] : 0;

    public ClusterSpec Spec { get; }

    public IReadOnlyDictionary<string, int> NodeIndex { get; }

    public IReadOnlyDictionary<string, int> PartitionIndex { get; }

    public IReadOnlyList<string> Zones { get; }

    public int[] NodeZone { get; }

    public int Steps { get; }

    public int Resources { get; }

    public IReadOnlyList<string> GroupNames { get; }

    public int[] GroupMinZones { get; }

    public int[] GroupOf { get; }

    public int[] Initial { get; }

    /// <summary>Planning load per partition, [h * R + r], in the cluster's own units.</summary>
    public double[][] Load { get; }

    /// <summary>Total planning load of the cluster per lane, [h * R + r].</summary>
    public double[] LaneLoad { get; }

    /// <summary>Total capacity per resource of the nodes that may hold partitions (draining ones excluded).</summary>
    public double[] ActiveCapacity { get; }

    /// <summary>[zoneA * Zones + zoneB], 1 unless the cluster file sets it.</summary>
    public double[] ZoneDistance { get; }

    /// <summary>Node sets partitions may use: [domain][node]; domain 0 is every non-draining node.</summary>
    public bool[][] Domains { get; }

    /// <summary>The node set of each partition: 0 without a tenant, else the tenant's index + 1.</summary>
    public int[] DomainOf { get; }

    /// <summary>Whether a partition may sit on a node: its tenant's node set minus draining nodes.</summary>
    public bool IsAllowed(int partition, int node) => Domains[DomainOf[partition]][node];

    /// <summary>Resolves a validated cluster; one whose cost could overflow is refused (<see cref="CostRange"/>).</summary>
    /// <param name="forecastNetwork">The LSTM that forecasts partitions given by history (null: the shipped model); a server passes the one it serves.</param>
    public static PlanningInput From(ClusterSpec spec, Models.Neural.LstmNetwork? forecastNetwork = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var input = new PlanningInput(spec, forecastNetwork);
        CostRange.Check(input);
        return input;
    }

    /// <summary>The input of a restructured cluster (<see cref="Restructure"/>), whose loads were forecast for <paramref name="forecast"/>: it says what served them.</summary>
    public static PlanningInput Restructured(ClusterSpec spec, PlanningInput forecast)
    {
        ArgumentNullException.ThrowIfNull(forecast);
        var input = From(spec, forecast.ForecastNetwork);
        input.ForecastServed = forecast.ForecastServed;
        return input;
    }

    public double Capacity(int node, int resource) => Spec.Nodes[node].Capacity[resource];

    /// <summary>Per partition with segments, each segment's planning load ([step * R + resource]); null for the others.</summary>
    public double[][]?[] SegmentLoad { get; }

    /// <summary>The LSTM the histories were forecast with where one was given (null: the shipped model).</summary>
    public Models.Neural.LstmNetwork? ForecastNetwork { get; }

    /// <summary>Which models forecast the partitions given by history (null when every partition gave its load).</summary>
    public string? ForecastServed { get; private set; }

    /// <summary>[step][resource] rows as one [step * R + resource] array.</summary>
    private static double[] Flatten(ClusterSpec spec, double[][] rows)
    {
        int steps = spec.Horizon.Steps;
        int resources = spec.Resources.Count;
        var load = new double[steps * resources];
        for (int h = 0; h < steps; h++)
        {
            rows[h].CopyTo(load, h * resources);
        }

        return load;
    }

    /// <summary>A history to forecast: whose it is (for its events), its name and path, and where its rows go.</summary>
    private sealed record ForecastJob(PartitionSpec Partition, string Name, HistorySpec History, string Path, Action<double[]> Store);

    /// <summary>
    /// Forecasts every (partition or segment, resource) history with the horizon's model at the planning quantile,
    /// all at once (the LSTM steps them as one batch), and stores each one's planning rows (never negative).
    /// </summary>
    private static string ForecastLoads(ClusterSpec spec, List<ForecastJob> jobs, Models.Neural.LstmNetwork? network)
    {
        int steps = spec.Horizon.Steps;
        int resources = spec.Resources.Count;
        var series = new List<TimeSeries>(jobs.Count * resources);
        var events = spec.Events.Count > 0 ? new IReadOnlyList<KnownEvent>?[jobs.Count * resources] : null;
        for (int k = 0; k < jobs.Count; k++)
        {
            var (partition, name, history, path, _) = jobs[k];
            if (Math.Abs(history.StepSeconds - spec.Horizon.StepSeconds) > 1e-9 * spec.Horizon.StepSeconds)
            {
                throw new ClusterFileException(
                    $"{path}.step_seconds",
                    $"must equal horizon.step_seconds ({spec.Horizon.StepSeconds}) to forecast the planning load, found {history.StepSeconds}");
            }

            int length = history.Values.Length;
            var timestamps = TimeSeries.RegularTimestamps(length, history.StepSeconds, history.End ?? 0);

            // Each series carries the events that cover its partition.
            var covering = events is null ? null : spec.Events.Where(e => e.Applies(partition)).Select(e => new KnownEvent(e.Tag, e.Start, e.End, e.Multiplier)).ToList();
            for (int r = 0; r < resources; r++)
            {
                var values = new double[length];
                for (int t = 0; t < length; t++)
                {
                    values[t] = history.Values[t][r];
                }

                series.Add(new TimeSeries($"{name}/{spec.Resources[r]}", timestamps, values));
                if (events is not null)
                {
                    events[(k * resources) + r] = covering!.Count > 0 ? covering : null;
                }
            }
        }

        FleetForecastResult forecast;
        try
        {
            forecast = FleetForecast.Forecast(series, spec.Horizon.ForecastModel, steps, spec.Objective.Quantile, network, CancellationToken.None, events);
        }
        catch (UnknownModelException e)
        {
            throw new ClusterFileException("$.horizon.forecast_model", e.Message);
        }

        for (int k = 0; k < jobs.Count; k++)
        {
            var row = new double[steps * resources];
            for (int r = 0; r < resources; r++)
            {
                var values = forecast.Values[(k * resources) + r];
                for (int h = 0; h < steps; h++)
                {
                    row[(h * resources) + r] = Math.Max(0, values[h]);
                }
            }

            jobs[k].Store(row);
        }

        return forecast.Effects is { } effects && EventEffects.Summarise(effects) is { Length: > 0 } applied ? $"{forecast.Served}; events: {applied}" : forecast.Served;
    }
}
