using System.Globalization;

namespace Shardcast.Control.Simulation;

/// <summary>Something the workload did that a reader of the report should see (a flash crowd, a hot spot moving in).</summary>
public sealed record DemandEvent(string Kind, int Partition, int FromStep, int ToStep, double ExtraOpsPerSecond);

/// <summary>
/// Every partition's demand (operations per second) at every step, warm-up first: row-major by step, so a step's
/// loads are one contiguous span. Steps before <see cref="WarmupSteps"/> are history; the compared day follows.
/// </summary>
public sealed class DemandSet
{
    public DemandSet(string source, int partitions, int warmupSteps, int steps, double[] load, double[] sizeBytes, int[] tenant, IReadOnlyList<DemandEvent> events)
    {
        if (load.Length != (long)(warmupSteps + steps) * partitions || sizeBytes.Length != partitions || tenant.Length != partitions)
        {
            throw new ArgumentException("the demand's arrays do not match its partitions and steps");
        }

        Source = source;
        Partitions = partitions;
        WarmupSteps = warmupSteps;
        Steps = steps;
        Load = load;
        SizeBytes = sizeBytes;
        Tenant = tenant;
        Events = events;
    }

    public string Source { get; }

    public int Partitions { get; }

    public int WarmupSteps { get; }

    /// <summary>Steps compared, after the warm-up.</summary>
    public int Steps { get; }

    public double[] Load { get; }

    public double[] SizeBytes { get; }

    public int[] Tenant { get; }

    public IReadOnlyList<DemandEvent> Events { get; }

    /// <summary>The partitions' demand at a step of the compared day (negative steps reach into the warm-up).</summary>
    public ReadOnlySpan<double> At(int step) => Load.AsSpan((WarmupSteps + step) * Partitions, Partitions);

    public static string PartitionName(int p) => "p" + p.ToString("D3", CultureInfo.InvariantCulture);

    /// <summary>The highest total demand over the compared day.</summary>
    public double PeakTotal()
    {
        double peak = 0;
        for (int s = 0; s < Steps; s++)
        {
            double total = 0;
            foreach (double v in At(s))
            {
                total += v;
            }

            peak = Math.Max(peak, total);
        }

        return peak;
    }

    /// <summary>Scales every load so that the compared day's total peaks at <paramref name="peak"/>.</summary>
    internal void ScaleTo(double peak)
    {
        double now = PeakTotal();
        if (now > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(Load, peak / now, Load);
        }
    }
}

/// <summary>Partition weights and sizes shared by the synthetic and the replayed demand.</summary>
internal static class Popularity
{
    /// <summary>Zipf-Mandelbrot weights (1/(rank+2)^0.8: skewed, but no partition alone near a node's capacity), in a shuffled order.</summary>
    public static double[] Weights(int partitions, Random random)
    {
        var weights = new double[partitions];
        for (int i = 0; i < partitions; i++)
        {
            weights[i] = 1 / Math.Pow(i + 3, 0.8);
        }

        random.Shuffle(weights);
        double sum = weights.Sum();
        for (int i = 0; i < partitions; i++)
        {
            weights[i] /= sum;
        }

        return weights;
    }

    /// <summary>Bytes per partition: 2 GB plus up to 40 GB, growing with the square root of its popularity.</summary>
    public static double[] Sizes(double[] weights, Random random)
    {
        double top = weights.Max();
        return weights.Select(w => 2e9 + 40e9 * Math.Sqrt(w / top) * (0.8 + 0.4 * random.NextDouble())).ToArray();
    }
}

/// <summary>
/// The default workload: daily and weekly seasonality per tenant (tenants in different time zones, with their own
/// weekend dip and growth), Zipf-skewed partition popularity, autocorrelated noise, flash crowds on single
/// partitions and a hot spot per tenant that moves between its partitions every few hours.
/// </summary>
public static class SyntheticDemand
{
    public static DemandSet Generate(DemoScenario scenario)
    {
        scenario.Validate();
        var random = new Random(unchecked((int)scenario.Seed) ^ 0x5eed);
        int p = scenario.Partitions, warm = scenario.WarmupSteps, steps = scenario.Steps, all = warm + steps;
        double stepHours = scenario.StepMinutes / 60.0;
        var weights = Popularity.Weights(p, random);
        int tenants = Math.Min(scenario.Tenants, p); // every tenant holds a partition
        var tenant = Enumerable.Range(0, p).Select(i => i % tenants).ToArray();
        var phase = Enumerable.Range(0, tenants).Select(t => t == 0 ? 0.0 : random.NextDouble() * 10 - 5).ToArray();
        var weekend = Enumerable.Range(0, tenants).Select(_ => 0.55 + 0.35 * random.NextDouble()).ToArray();
        var growth = Enumerable.Range(0, tenants).Select(_ => 0.06 * random.NextDouble()).ToArray();
        var load = new double[all * p];
        var noise = new double[p];
        for (int s = 0; s < all; s++)
        {
            double hours = (s - warm) * stepHours;
            for (int i = 0; i < p; i++)
            {
                int t = tenant[i];
                double local = hours + phase[t];
                double day = Math.Floor(local / 24);
                double hourOfDay = local - 24 * day;
                double daily = 0.55 - 0.42 * Math.Cos(2 * Math.PI * (hourOfDay - 2) / 24) + 0.08 * Math.Sin(4 * Math.PI * hourOfDay / 24);
                int weekday = (int)(((day % 7) + 7) % 7); // hour 0 is a Monday
                double week = weekday >= 5 ? weekend[t] : 1;
                double trend = 1 + growth[t] * (hours / 24);
                noise[i] = 0.7 * noise[i] + Gaussian(random) * 0.07;
                load[s * p + i] = weights[i] * Math.Max(0.03, daily) * week * trend * Math.Exp(noise[i]);
            }
        }

        var demand = new DemandSet("synthetic", p, warm, steps, load, Popularity.Sizes(weights, random), tenant, []);
        demand.ScaleTo(scenario.PeakDemandShare * scenario.Nodes * scenario.NodeCapacity);
        var events = new List<DemandEvent>();
        AddFlashCrowds(demand, scenario, random, events);
        AddHotSpots(demand, scenario, random, events);
        return new DemandSet(demand.Source, p, warm, steps, demand.Load, demand.SizeBytes, tenant, events);
    }

    /// <summary>Sudden extra load on one partition: a 15-minute ramp, half an hour to an hour and a half on, a 30-minute decay.</summary>
    private static void AddFlashCrowds(DemandSet demand, DemoScenario scenario, Random random, List<DemandEvent> events)
    {
        int all = demand.WarmupSteps + demand.Steps;
        int count = (int)Math.Round(scenario.FlashCrowdsPerDay * all / (double)scenario.StepsPerDay);
        int ramp = Math.Max(1, 15 / scenario.StepMinutes), decay = Math.Max(1, 30 / scenario.StepMinutes);
        for (int k = 0; k < count; k++)
        {
            int partition = random.Next(demand.Partitions);
            int start = random.Next(all);
            int plateau = (30 + random.Next(60)) / scenario.StepMinutes;
            double extra = scenario.NodeCapacity * (0.2 + 0.25 * random.NextDouble());
            int end = Math.Min(all, start + ramp + plateau + decay);
            for (int s = start; s < end; s++)
            {
                int into = s - start;
                double shape = into < ramp ? (into + 1.0) / ramp : into < ramp + plateau ? 1 : 1 - (into - ramp - plateau + 1.0) / (decay + 1);
                demand.Load[s * demand.Partitions + partition] += extra * shape;
            }

            if (end > demand.WarmupSteps)
            {
                events.Add(new DemandEvent("flash_crowd", partition, start - demand.WarmupSteps, end - demand.WarmupSteps, extra));
            }
        }
    }

    /// <summary>Each tenant's hot keys: extra load that sits on one of the tenant's partitions for 2 to 4 hours, then moves to another.</summary>
    private static void AddHotSpots(DemandSet demand, DemoScenario scenario, Random random, List<DemandEvent> events)
    {
        int all = demand.WarmupSteps + demand.Steps;
        foreach (int t in demand.Tenant.Distinct().Order())
        {
            var own = Enumerable.Range(0, demand.Partitions).Where(i => demand.Tenant[i] == t).ToArray();
            int s = 0;
            while (s < all)
            {
                int partition = own[random.Next(own.Length)];
                int length = (120 + random.Next(121)) / scenario.StepMinutes;
                double extra = scenario.NodeCapacity * (0.12 + 0.1 * random.NextDouble());
                int end = Math.Min(all, s + length);
                for (int k = s; k < end; k++)
                {
                    demand.Load[k * demand.Partitions + partition] += extra;
                }

                if (end > demand.WarmupSteps)
                {
                    events.Add(new DemandEvent("hot_spot", partition, s - demand.WarmupSteps, end - demand.WarmupSteps, extra));
                }

                s = end;
            }
        }
    }

    internal static double Gaussian(Random random)
    {
        double u = 1 - random.NextDouble(), v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}

/// <summary>
/// A replay of real series: every CSV shaped like NAB's (`timestamp,value`, a header line) under a folder, in path
/// order, mapped onto partitions (partition i takes series i mod S, each further copy starting a day later), each
/// normalised to its mean (clipped at 4 times it), weighted by the same Zipf popularity as the synthetic workload and scaled so that the
/// cluster's total demand peaks at the scenario's share of its capacity. A series shorter than the warm-up and the
/// day is repeated. Timestamps give the order only: a value is taken as one step.
/// </summary>
public static class TraceDemand
{
    /// <summary>A value is clipped at this many times its series' mean: one spike of a thousand times the mean would otherwise be the whole cluster's peak and every other step near idle.</summary>
    public const double MaxOverMean = 4;

    public static DemandSet Load(string folder, DemoScenario scenario)
    {
        scenario.Validate();
        if (!Directory.Exists(folder))
        {
            throw new ArgumentException($"--trace {folder}: no such folder");
        }

        var files = Directory.GetFiles(folder, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var series = new List<double[]>();
        var refused = new List<string>();
        foreach (var file in files)
        {
            var values = ReadSeries(file, out string? problem);
            if (values is null)
            {
                refused.Add($"{Path.GetRelativePath(folder, file)}: {problem}");
                continue;
            }

            series.Add(values);
        }

        if (series.Count == 0)
        {
            throw new ArgumentException(files.Length == 0
                ? $"--trace {folder}: no .csv files in it (expected timestamp,value series)"
                : $"--trace {folder}: no series could be read; {string.Join("; ", refused.Take(3))}");
        }

        var random = new Random(unchecked((int)scenario.Seed) ^ 0x7ace);
        int p = scenario.Partitions, warm = scenario.WarmupSteps, steps = scenario.Steps, all = warm + steps;
        var weights = Popularity.Weights(p, random);
        var load = new double[all * p];
        for (int i = 0; i < p; i++)
        {
            var values = series[i % series.Count];
            int offset = i / series.Count * scenario.StepsPerDay;
            for (int s = 0; s < all; s++)
            {
                load[s * p + i] = weights[i] * Math.Min(MaxOverMean, values[(offset + s) % values.Length]);
            }
        }

        var tenant = Enumerable.Range(0, p).Select(i => i % Math.Min(scenario.Tenants, p)).ToArray();
        string source = $"trace {folder} ({series.Count} series" + (refused.Count > 0 ? $", {refused.Count} refused" : "") + ")";
        var demand = new DemandSet(source, p, warm, steps, load, Popularity.Sizes(weights, random), tenant, []);
        demand.ScaleTo(scenario.PeakDemandShare * scenario.Nodes * scenario.NodeCapacity);
        return demand;
    }

    /// <summary>A series' values over their mean (negative values as 0); null with the reason where it is not one.</summary>
    public static double[]? ReadSeries(string file, out string? problem)
    {
        var values = new List<double>();
        int line = 0;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (line == 1 || text.Length == 0)
            {
                continue;
            }

            int comma = text.LastIndexOf(',');
            if (comma < 0 || !double.TryParse(text.AsSpan(comma + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                problem = $"line {line}: expected timestamp,value";
                return null;
            }

            values.Add(Math.Max(0, v));
        }

        double mean = values.Count > 0 ? values.Average() : 0;
        if (values.Count < 2 || !(mean > 0))
        {
            problem = values.Count < 2 ? "fewer than 2 values" : "every value is 0";
            return null;
        }

        problem = null;
        return values.Select(v => v / mean).ToArray();
    }
}
