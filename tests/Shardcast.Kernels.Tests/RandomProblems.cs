using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests;

/// <summary>Random flat problems with every feature switched on: groups over zones, tenants, pins, coupling, budgets.</summary>
internal static class RandomProblems
{
    public static FlatProblem Create(ulong seed, int partitions = 60, int nodes = 8, int steps = 3, int resources = 2, bool budget = true)
    {
        var rng = new CounterRng(seed, 77);
        int zones = Math.Max(1, Math.Min(3, nodes / 2));
        var problem = new FlatProblem(partitions, nodes, steps, resources, zones);
        int stride = problem.Stride;
        int width = steps * resources;
        double totalLoad = 0;
        for (int p = 0; p < partitions; p++)
        {
            float heat = 0;
            for (int k = 0; k < width; k++)
            {
                float v = (float)(rng.NextDouble() * rng.NextDouble() * 4.0 / partitions * nodes);
                problem.Load[(p * stride) + k] = v;
                heat = MathF.Max(heat, v);
                totalLoad += v;
            }

            problem.Heat[p] = heat;
            problem.SizeBytes[p] = 1e6 * (1 + rng.NextInt(100));
            problem.Initial[p] = rng.NextInt(nodes);
        }

        double totalSize = problem.SizeBytes.Sum();
        for (int p = 0; p < partitions; p++)
        {
            problem.SizeFraction[p] = (float)(problem.SizeBytes[p] / totalSize);
        }

        double u = totalLoad / width / nodes;
        for (int n = 0; n < nodes; n++)
        {
            problem.NodeZone[n] = n % zones;
            float capacity = 0.5f + (float)rng.NextDouble();
            for (int k = 0; k < stride; k++)
            {
                bool lane = k < width;
                problem.Capacity[(n * stride) + k] = lane ? capacity : 1;
                problem.InverseCapacity[(n * stride) + k] = lane ? 1 / capacity : 1;
                problem.BalanceTarget[(n * stride) + k] = lane ? (float)(u * capacity) : 0;
                problem.HeadroomLimit[(n * stride) + k] = lane ? 0.8f * capacity : 0.8f;
            }
        }

        for (int a = 0; a < zones; a++)
        {
            for (int b = 0; b < zones; b++)
            {
                problem.ZoneDistance[(a * zones) + b] = a == b ? 1 : 2 + a + b;
            }
        }

        // Two node sets: everyone, and the even nodes (a tenant).
        var masks = new ulong[2 * problem.NodeWords];
        for (int n = 0; n < nodes; n++)
        {
            masks[n >> 6] |= 1UL << (n & 63);
            if (n % 2 == 0)
            {
                masks[problem.NodeWords + (n >> 6)] |= 1UL << (n & 63);
            }
        }

        problem.DomainMasks = masks;
        var groupStart = new List<int> { 0 };
        var members = new List<int>();
        var minZones = new List<int>();
        for (int p = 0; p < partitions; p++)
        {
            problem.DomainOf[p] = rng.NextInt(5) == 0 ? 1 : 0;
            problem.Pinned[p] = rng.NextInt(20) == 0;
        }

        // Groups of three consecutive unpinned partitions in domain 0.
        for (int p = 0; p + 2 < partitions && nodes >= 3; p += 7)
        {
            if (problem.Pinned[p] || problem.Pinned[p + 1] || problem.Pinned[p + 2])
            {
                continue;
            }

            int g = minZones.Count;
            for (int i = 0; i < 3; i++)
            {
                problem.GroupOf[p + i] = g;
                problem.DomainOf[p + i] = 0;
                members.Add(p + i);
            }

            groupStart.Add(members.Count);
            minZones.Add(Math.Min(2, zones));
        }

        problem.GroupStart = [.. groupStart];
        problem.GroupMembers = [.. members];
        problem.GroupMinZones = [.. minZones];

        var edges = new List<(int A, int B, float W)>();
        for (int e = 0; e < partitions / 3; e++)
        {
            int a = rng.NextInt(partitions);
            int b = rng.NextInt(partitions);
            if (a != b)
            {
                edges.Add((a, b, 0.5f + (float)rng.NextDouble()));
            }
        }

        for (int p = 1; p < partitions; p += 11)
        {
            problem.Parent[p] = p - 1;
        }

        problem.Weights = new CostWeights(1, 10, 0.8, 0.7, 0.5, 0.2);
        var coupling = new List<(int From, int To, float W)>();
        foreach (var (a, b, w) in edges)
        {
            coupling.Add((a, b, (float)(problem.Weights.Affinity * w)));
            coupling.Add((b, a, (float)(problem.Weights.Affinity * w)));
        }

        for (int p = 0; p < partitions; p++)
        {
            if (problem.Parent[p] >= 0)
            {
                coupling.Add((p, problem.Parent[p], (float)problem.Weights.Lineage));
                coupling.Add((problem.Parent[p], p, (float)problem.Weights.Lineage));
            }
        }

        coupling.Sort((x, y) => x.From.CompareTo(y.From));
        problem.CouplingStart = new int[partitions + 1];
        foreach (var c in coupling)
        {
            problem.CouplingStart[c.From + 1]++;
        }

        for (int p = 0; p < partitions; p++)
        {
            problem.CouplingStart[p + 1] += problem.CouplingStart[p];
        }

        problem.CouplingTarget = coupling.Select(c => c.To).ToArray();
        problem.CouplingWeight = coupling.Select(c => c.W).ToArray();
        problem.AffinityA = edges.Select(e => e.A).ToArray();
        problem.AffinityB = edges.Select(e => e.B).ToArray();
        problem.AffinityWeight = edges.Select(e => e.W).ToArray();
        if (budget)
        {
            problem.MaxMoves = partitions / 3;
            problem.MaxBytes = totalSize / 3;
        }

        MakeStartFeasible(problem);
        problem.Validate();
        return problem;
    }

    /// <summary>
    /// Switches on every term of the extended model: safety excess, two balance terms, transient resources,
    /// partition, group and node-pair move costs, neighbourhoods with dependencies between groups; capacity hard or not.
    /// </summary>
    public static FlatProblem WithExtensions(FlatProblem problem, ulong seed, bool hardCapacity)
    {
        var rng = new CounterRng(seed, 91);
        int resources = problem.Resources;
        var x = new ProblemExtensions(problem.Partitions, problem.Nodes, problem.Steps, resources, problem.Groups)
        {
            HardCapacity = hardCapacity,
            PartitionMoveWeight = 0.3,
            GroupMoveWeight = 2,
            NodeMoveWeight = 0.1,
            NodeMoveCost = new double[problem.Nodes * problem.Nodes],
            Neighborhoods = Math.Min(3, problem.Nodes),
        };
        for (int p = 0; p < problem.Partitions; p++)
        {
            for (int k = 0; k < x.Width; k++)
            {
                x.Load[(p * x.Width) + k] = problem.Load[(p * problem.Stride) + k];
            }

            x.MoveCost[p] = rng.NextInt(5);
        }

        for (int n = 0; n < problem.Nodes; n++)
        {
            for (int r = 0; r < resources; r++)
            {
                x.Capacity[(n * resources) + r] = problem.Capacity[(n * problem.Stride) + r];
                x.Safety[(n * resources) + r] = 0.6 * x.Capacity[(n * resources) + r];
            }

            x.NodeNeighborhood[n] = n % x.Neighborhoods;
            for (int m = 0; m < problem.Nodes; m++)
            {
                x.NodeMoveCost[(n * problem.Nodes) + m] = n == m ? 0 : rng.NextInt(3);
            }
        }

        for (int r = 0; r < resources; r++)
        {
            x.SafetyWeight[r] = 1 + rng.NextInt(10);
            x.Transient[r] = r % 2 == 0;
        }

        x.BalanceA = [0, resources - 1];
        x.BalanceB = [resources - 1, 0];
        x.BalanceTarget = [1, 2];
        x.BalanceWeight = [3, 1];

        // Group g depends on g + 1 for even g, so groups both depend and are depended on.
        var depends = new List<int>[problem.Groups];
        var dependents = new List<int>[problem.Groups];
        for (int g = 0; g < problem.Groups; g++)
        {
            (depends[g], dependents[g]) = ([], []);
        }

        for (int g = 0; g + 1 < problem.Groups; g += 2)
        {
            depends[g].Add(g + 1);
            dependents[g + 1].Add(g);
        }

        (x.DependsStart, x.DependsOn) = Csr(depends);
        (x.DependentStart, x.Dependents) = Csr(dependents);
        problem.Extensions = x;
        problem.Validate();
        return problem;
    }

    private static (int[] Start, int[] Items) Csr(List<int>[] lists)
    {
        var start = new int[lists.Length + 1];
        for (int i = 0; i < lists.Length; i++)
        {
            start[i + 1] = start[i] + lists[i].Count;
        }

        return (start, lists.SelectMany(l => l).ToArray());
    }

    /// <summary>
    /// The initial assignment with broken dependencies mended: each member of a dependent group is moved, where
    /// needed, onto a node of a neighbourhood its required group occupies.
    /// </summary>
    public static int[] FeasibleStart(FlatProblem problem)
    {
        var x = problem.Extensions!;
        var start = problem.Initial.ToArray();
        for (int g = 0; g < problem.Groups; g++)
        {
            for (int d = x.DependsStart[g]; d < x.DependsStart[g + 1]; d++)
            {
                var needed = problem.MembersOf(x.DependsOn[d]).ToArray().Select(q => x.NodeNeighborhood[start[q]]).ToHashSet();
                foreach (int p in problem.MembersOf(g))
                {
                    if (!needed.Contains(x.NodeNeighborhood[start[p]]))
                    {
                        var used = problem.MembersOf(g).ToArray().Where(q => q != p).Select(q => start[q]).ToHashSet();
                        start[p] = Enumerable.Range(0, problem.Nodes).First(n => needed.Contains(x.NodeNeighborhood[n]) && !used.Contains(n) && problem.IsAllowed(p, n));
                    }
                }
            }
        }

        return start;
    }

    /// <summary>Every extended term on, capacity hard and 8 % above the feasible start's loads, no move budget.</summary>
    public static FlatProblem Tight(ulong seed, int partitions, int nodes)
    {
        var problem = WithExtensions(Create(seed, partitions, nodes, steps: 2, resources: 2, budget: false), seed, hardCapacity: true);
        TightenCapacities(problem, FeasibleStart(problem), 0.08);
        return problem;
    }

    /// <summary>A search state over <see cref="Tight"/>, at the problem's feasible start.</summary>
    public static SearchState TightState(ulong seed, int partitions, int nodes)
    {
        var problem = Tight(seed, partitions, nodes);
        var state = new SearchState(problem);
        state.Reset(FeasibleStart(problem));
        return state;
    }

    /// <summary>
    /// <see cref="Tight"/> with the native terms that are not linear in the assignment (balance, headroom, coupling)
    /// at weight 0, as the ROADEF mapping has them: the problems exact node sets serve.
    /// </summary>
    public static FlatProblem Linear(ulong seed, int partitions, int nodes)
    {
        var problem = Tight(seed, partitions, nodes);
        problem.Weights = problem.Weights with { Balance = 0, Headroom = 0, Affinity = 0, Lineage = 0 };
        Array.Clear(problem.CouplingWeight);
        return problem;
    }

    /// <summary>Sets each hard capacity just above what the start holds (transient load included), by the given share.</summary>
    public static void TightenCapacities(FlatProblem problem, int[] start, double slack)
    {
        var x = problem.Extensions!;
        for (int n = 0; n < problem.Nodes; n++)
        {
            for (int r = 0; r < x.Resources; r++)
            {
                double peak = 0;
                for (int h = 0; h < x.Steps; h++)
                {
                    peak = Math.Max(peak, Enumerable.Range(0, problem.Partitions)
                        .Where(p => start[p] == n || (x.Transient[r] && problem.Initial[p] == n))
                        .Sum(p => x.Load[(p * x.Width) + (h * x.Resources) + r]));
                }

                x.Capacity[(n * x.Resources) + r] = (peak * (1 + slack)) + 1e-3;
            }
        }
    }

    /// <summary>Puts every group's members on distinct nodes over enough zones and everyone inside its domain.</summary>
    private static void MakeStartFeasible(FlatProblem problem)
    {
        for (int p = 0; p < problem.Partitions; p++)
        {
            if (!problem.IsAllowed(p, problem.Initial[p]))
            {
                problem.Initial[p] = problem.Initial[p] & ~1;
            }
        }

        for (int g = 0; g < problem.Groups; g++)
        {
            var m = problem.MembersOf(g);
            for (int i = 0; i < m.Length; i++)
            {
                problem.Initial[m[i]] = (problem.Initial[m[0]] + i) % problem.Nodes;
            }
        }
    }
}
