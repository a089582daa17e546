namespace Shardcast.Engine.Roadef;

/// <param name="Processes">Processes P.</param>
/// <param name="Machines">Machines M.</param>
/// <param name="Resources">Resources R (1 to 12, as in the challenge's sets).</param>
/// <param name="TransientResources">How many of the resources, from the first, are transient.</param>
/// <param name="Neighborhoods">Neighbourhoods: contiguous blocks of machines.</param>
/// <param name="Locations">Locations: machines are dealt round them.</param>
/// <param name="MultiServices">Services with more than one process; every other process is a service of its own.</param>
/// <param name="MaxServiceSize">The largest service.</param>
/// <param name="Dependencies">Dependencies between services to draw (only those the initial assignment satisfies are kept).</param>
/// <param name="Balances">Balance objectives (0 or 1 in set B; any number here).</param>
/// <param name="Seed">The same options and seed give the same instance, byte for byte.</param>
public sealed record RoadefGeneratorOptions(
    int Processes,
    int Machines,
    int Resources = 3,
    int TransientResources = 1,
    int Neighborhoods = 5,
    int Locations = 10,
    int MultiServices = 1000,
    int MaxServiceSize = 10,
    int Dependencies = 5000,
    int Balances = 1,
    int Seed = 1);

/// <summary>A generated instance and the initial assignment it was built around.</summary>
public sealed record GeneratedRoadef(RoadefInstance Instance, int[] Initial);

/// <summary>
/// Writes machine-reassignment instances of any size in the shape of the challenge's sets: heterogeneous
/// machines in neighbourhoods and locations, services whose processes sit on distinct machines, dependencies,
/// spread minimums, transient resources, balance objectives, machine-pair move costs by location, and an initial
/// assignment that breaks no hard constraint but leaves many machines above their safety capacity. Set B's model
/// files (up to 50,000 processes on 5,000 machines) are not distributed with the challenge's data here; this is how
/// the solver is measured at that scale.
/// </summary>
public static class RoadefGenerator
{
    public static GeneratedRoadef Generate(RoadefGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var random = new Random(options.Seed);
        int machineCount = options.Machines;
        int resourceCount = options.Resources;

        var serviceSizes = DrawServiceSizes(options, random);
        int serviceCount = serviceSizes.Length;
        var processService = new int[options.Processes];
        for (int s = 0, p = 0; s < serviceCount; s++)
        {
            for (int k = 0; k < serviceSizes[s]; k++)
            {
                processService[p++] = s;
            }
        }

        // Resource scales differ by orders of magnitude across resources, as CPU, memory and disk do in the sets.
        var scale = new double[resourceCount];
        for (int r = 0; r < resourceCount; r++)
        {
            scale[r] = Math.Pow(10, 2 + random.Next(4));
        }

        var requirement = new long[options.Processes][];
        for (int p = 0; p < options.Processes; p++)
        {
            double size = Math.Exp(0.9 * Normal(random));
            requirement[p] = new long[resourceCount];
            for (int r = 0; r < resourceCount; r++)
            {
                requirement[p][r] = (long)Math.Round(size * scale[r] * (0.5 + random.NextDouble()));
            }
        }

        var initial = PlaceServices(options, serviceSizes, random);
        var usage = new long[machineCount, resourceCount];
        for (int p = 0; p < options.Processes; p++)
        {
            for (int r = 0; r < resourceCount; r++)
            {
                usage[initial[p], r] += requirement[p][r];
            }
        }

        var machines = new RoadefMachine[machineCount];
        for (int m = 0; m < machineCount; m++)
        {
            machines[m] = new RoadefMachine(
                Neighborhood: (int)((long)m * options.Neighborhoods / machineCount),
                Location: m % options.Locations,
                Capacity: new long[resourceCount],
                SafetyCapacity: new long[resourceCount],
                MoveCost: new long[machineCount]);
        }

        for (int r = 0; r < resourceCount; r++)
        {
            double mean = 0;
            for (int m = 0; m < machineCount; m++)
            {
                mean += usage[m, r];
            }

            mean /= machineCount;
            for (int m = 0; m < machineCount; m++)
            {
                // Capacity drawn round the mean use and never below the machine's own; safety 70-90 % of it, so that
                // machines the start packed densely begin above it, the rest have room, and the safety capacities
                // together come near the total use, so that load cost is hard to clear.
                long capacity = Math.Max((long)Math.Ceiling(usage[m, r] * 1.02), (long)Math.Round(mean * (1.0 + (0.3 * random.NextDouble()))));
                machines[m].Capacity[r] = capacity;
                machines[m].SafetyCapacity[r] = (long)Math.Round(capacity * (0.7 + (0.2 * random.NextDouble())));
            }
        }

        for (int m = 0; m < machineCount; m++)
        {
            for (int n = 0; n < machineCount; n++)
            {
                machines[m].MoveCost[n] = m == n ? 0 : Math.Min(10, Math.Abs(machines[m].Location - machines[n].Location) + (machines[m].Neighborhood == machines[n].Neighborhood ? 0 : 1));
            }
        }

        var services = DrawServices(options, serviceSizes, processService, initial, machines, random);
        var resources = new RoadefResource[resourceCount];
        for (int r = 0; r < resourceCount; r++)
        {
            resources[r] = new RoadefResource(r < options.TransientResources, 1 + random.Next(100));
        }

        var processes = new RoadefProcess[options.Processes];
        for (int p = 0; p < options.Processes; p++)
        {
            processes[p] = new RoadefProcess(processService[p], requirement[p], random.Next(1, 1000));
        }

        var balances = new RoadefBalance[resourceCount < 2 ? 0 : options.Balances];
        for (int b = 0; b < balances.Length; b++)
        {
            int first = random.Next(resourceCount);
            int second = (first + 1 + random.Next(resourceCount - 1)) % resourceCount;
            balances[b] = new RoadefBalance(first, second, 1 + random.Next(10), 1 + random.Next(10));
        }

        var instance = new RoadefInstance
        {
            Resources = resources,
            Machines = machines,
            Services = services,
            Processes = processes,
            Balances = balances,
            WeightProcessMove = 1,
            WeightServiceMove = 10,
            WeightMachineMove = 100,
        };
        return new GeneratedRoadef(instance, initial);
    }

    private static void Validate(RoadefGeneratorOptions o)
    {
        static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentOutOfRangeException(paramName: null, message);
            }
        }

        Require(o.Processes >= 1, $"processes must be at least 1, found {o.Processes}");
        Require(o.Machines >= 2, $"machines must be at least 2, found {o.Machines}");
        Require(o.Resources is >= 1 and <= 12, $"resources must be 1 to 12, found {o.Resources}");
        Require(o.TransientResources >= 0 && o.TransientResources <= o.Resources, $"transient resources must be 0 to {o.Resources}, found {o.TransientResources}");
        Require(o.Neighborhoods >= 1 && o.Neighborhoods <= o.Machines, $"neighbourhoods must be 1 to {o.Machines}, found {o.Neighborhoods}");
        Require(o.Locations >= 1 && o.Locations <= o.Machines, $"locations must be 1 to {o.Machines}, found {o.Locations}");
        Require(o.MaxServiceSize >= 2 && o.MaxServiceSize <= o.Machines, $"the largest service must be 2 to {o.Machines} processes (one machine each), found {o.MaxServiceSize}");
        Require(o.MultiServices >= 0 && (long)o.MultiServices * 2 <= o.Processes, $"{o.MultiServices} services of two or more processes need at least {2L * o.MultiServices} processes, found {o.Processes}");
        Require(o.Dependencies >= 0, $"dependencies must not be negative, found {o.Dependencies}");
        Require(o.Balances >= 0, $"balances must not be negative, found {o.Balances}");
    }

    /// <summary>Sizes of the multi-process services (mostly small, a few up to the maximum), then singletons.</summary>
    private static int[] DrawServiceSizes(RoadefGeneratorOptions o, Random random)
    {
        var sizes = new List<int>(o.Processes);
        int left = o.Processes;
        for (int s = 0; s < o.MultiServices; s++)
        {
            int others = o.MultiServices - s - 1;
            int most = Math.Min(o.MaxServiceSize, left - (2 * others));
            int size = 2;
            while (size < most && random.NextDouble() < 0.75)
            {
                size++;
            }

            if (random.NextDouble() < 0.05)
            {
                size = random.Next(2, most + 1);
            }

            sizes.Add(size);
            left -= size;
        }

        for (; left > 0; left--)
        {
            sizes.Add(1);
        }

        return [.. sizes];
    }

    /// <summary>Every service's processes on distinct machines, machines drawn with uneven weights.</summary>
    private static int[] PlaceServices(RoadefGeneratorOptions o, int[] serviceSizes, Random random)
    {
        var weight = new double[o.Machines];
        double total = 0;
        for (int m = 0; m < o.Machines; m++)
        {
            weight[m] = 0.5 + random.NextDouble();
            total += weight[m];
        }

        var cumulative = new double[o.Machines];
        double running = 0;
        for (int m = 0; m < o.Machines; m++)
        {
            running += weight[m] / total;
            cumulative[m] = running;
        }

        var assignment = new int[o.Processes];
        var taken = new HashSet<int>();
        for (int s = 0, p = 0; s < serviceSizes.Length; s++)
        {
            taken.Clear();
            for (int k = 0; k < serviceSizes[s]; k++)
            {
                int machine;
                do
                {
                    int found = Array.BinarySearch(cumulative, random.NextDouble());
                    machine = Math.Min(o.Machines - 1, found >= 0 ? found : ~found);
                }
                while (!taken.Add(machine));
                assignment[p++] = machine;
            }
        }

        return assignment;
    }

    /// <summary>
    /// Spread minimums up to the locations a service's start uses, and dependencies kept only where the start
    /// satisfies them (every neighbourhood of the dependent also holds the service it depends on).
    /// </summary>
    private static RoadefService[] DrawServices(RoadefGeneratorOptions o, int[] serviceSizes, int[] processService, int[] initial, RoadefMachine[] machines, Random random)
    {
        int serviceCount = serviceSizes.Length;
        var locationsUsed = new HashSet<int>[serviceCount];
        var neighborhoods = new ulong[serviceCount][];
        int words = (o.Neighborhoods + 63) / 64;
        for (int s = 0; s < serviceCount; s++)
        {
            locationsUsed[s] = [];
            neighborhoods[s] = new ulong[words];
        }

        for (int p = 0; p < initial.Length; p++)
        {
            var machine = machines[initial[p]];
            int s = processService[p];
            locationsUsed[s].Add(machine.Location);
            neighborhoods[s][machine.Neighborhood / 64] |= 1UL << (machine.Neighborhood % 64);
        }

        var dependsOn = new List<int>[serviceCount];
        for (int s = 0; s < serviceCount; s++)
        {
            dependsOn[s] = [];
        }

        // Multi-process services come first; they are the likelier providers, as in the sets.
        int providers = Math.Max(1, o.MultiServices);
        var pairs = new HashSet<long>();
        for (int attempt = 0, kept = 0; kept < o.Dependencies && attempt < 20 * o.Dependencies && serviceCount > 1; attempt++)
        {
            int dependent = random.Next(serviceCount);
            int provider = random.Next(Math.Min(providers, serviceCount));
            if (dependent == provider || !Covers(neighborhoods[provider], neighborhoods[dependent]) || !pairs.Add(((long)dependent * serviceCount) + provider))
            {
                continue;
            }

            dependsOn[dependent].Add(provider);
            kept++;
        }

        var services = new RoadefService[serviceCount];
        for (int s = 0; s < serviceCount; s++)
        {
            int spread = serviceSizes[s] == 1 ? random.Next(2) : random.Next(1, Math.Min(locationsUsed[s].Count, 4) + 1);
            services[s] = new RoadefService(spread, [.. dependsOn[s]]);
        }

        return services;
    }

    private static bool Covers(ulong[] outer, ulong[] inner)
    {
        for (int w = 0; w < outer.Length; w++)
        {
            if ((inner[w] & ~outer[w]) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
