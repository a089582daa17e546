namespace Shardcast.Kernels.Problem;

/// <summary>
/// The extended model's part of a flat problem (docs/architecture.md): terms and constraints that need loads
/// in the cluster's own units and exact comparisons (safety excess, balance between resources, hard and
/// transient capacity), the three move costs, and group dependencies over neighbourhoods. Loads here are
/// double precision and unpadded, [partition * Width + h * R + r]; a problem without these terms has no
/// extension, and the native search pays nothing for it.
/// </summary>
public sealed class ProblemExtensions
{
    public ProblemExtensions(int partitions, int nodes, int steps, int resources, int groups)
    {
        Partitions = partitions;
        Nodes = nodes;
        Steps = steps;
        Resources = resources;
        Groups = groups;
        Load = new double[partitions * Width];
        Capacity = new double[nodes * resources];
        Safety = new double[nodes * resources];
        SafetyWeight = new double[resources];
        Transient = new bool[resources];
        RelativeScale = new double[resources];
        Array.Fill(RelativeScale, 1.0);
        MoveCost = new double[partitions];
        NodeNeighborhood = new int[nodes];
        DependsStart = new int[groups + 1];
        DependentStart = new int[groups + 1];
    }

    public int Partitions { get; }
    public int Nodes { get; }
    public int Steps { get; }
    public int Resources { get; }
    public int Groups { get; }

    public int Width => Steps * Resources;

    /// <summary>Planning load in the cluster's units, [partition * Width + h * R + r].</summary>
    public double[] Load { get; }

    /// <summary>[node * R + r], the cluster's units.</summary>
    public double[] Capacity { get; }

    /// <summary>[node * R + r]: load above it costs <see cref="SafetyWeight"/>[r] per unit.</summary>
    public double[] Safety { get; }

    public double[] SafetyWeight { get; }

    /// <summary>Resources whose load stays on a moved partition's initial node as well.</summary>
    public bool[] Transient { get; }

    /// <summary>Each resource's unit in the flat problem's relative loads, to express soft overload alike.</summary>
    public double[] RelativeScale { get; }

    /// <summary>Whether a lane above capacity (transient load included) is a violated constraint.</summary>
    public bool HardCapacity { get; set; }

    public int[] BalanceA { get; set; } = [];
    public int[] BalanceB { get; set; } = [];
    public double[] BalanceTarget { get; set; } = [];
    public double[] BalanceWeight { get; set; } = [];

    /// <summary>Per partition, what moving it costs; weighted by <see cref="PartitionMoveWeight"/>.</summary>
    public double[] MoveCost { get; }

    public double PartitionMoveWeight { get; set; }

    /// <summary>[from * Nodes + to] or null; weighted by <see cref="NodeMoveWeight"/>.</summary>
    public double[]? NodeMoveCost { get; set; }

    public double NodeMoveWeight { get; set; }

    /// <summary>Weight of the largest count of moved members in one group.</summary>
    public double GroupMoveWeight { get; set; }

    public int[] NodeNeighborhood { get; }

    public int Neighborhoods { get; set; } = 1;

    /// <summary>CSR over groups: the groups group g depends on.</summary>
    public int[] DependsStart { get; set; }

    public int[] DependsOn { get; set; } = [];

    /// <summary>CSR over groups: the groups that depend on group g.</summary>
    public int[] DependentStart { get; set; }

    public int[] Dependents { get; set; } = [];

    public bool HasDependencies => DependsOn.Length > 0;

    public bool HasTransient => Array.IndexOf(Transient, true) >= 0;

    public ReadOnlySpan<double> LoadRow(int partition) => Load.AsSpan(partition * Width, Width);

    public void Validate(FlatProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.Partitions != Partitions || problem.Nodes != Nodes || problem.Steps != Steps || problem.Resources != Resources || problem.Groups != Groups)
        {
            throw new InvalidOperationException("The extension's dimensions differ from the problem's.");
        }

        int terms = BalanceA.Length;
        if (BalanceB.Length != terms || BalanceTarget.Length != terms || BalanceWeight.Length != terms)
        {
            throw new InvalidOperationException("Balance terms need a, b, target and weight each.");
        }

        foreach (int r in BalanceA.Concat(BalanceB))
        {
            if ((uint)r >= (uint)Resources)
            {
                throw new InvalidOperationException($"A balance term names resource {r}, outside the {Resources} resources.");
            }
        }

        if (NodeMoveCost is { } m && m.Length != Nodes * Nodes)
        {
            throw new InvalidOperationException("NodeMoveCost must be Nodes x Nodes.");
        }

        foreach (int n in NodeNeighborhood)
        {
            if ((uint)n >= (uint)Neighborhoods)
            {
                throw new InvalidOperationException($"NodeNeighborhood holds {n}, outside the {Neighborhoods} neighbourhoods.");
            }
        }

        if (DependsStart.Length != Groups + 1 || DependsStart[^1] != DependsOn.Length || DependentStart.Length != Groups + 1 || DependentStart[^1] != Dependents.Length)
        {
            throw new InvalidOperationException("DependsStart and DependentStart must be CSR indices over groups.");
        }

        foreach (int g in DependsOn.Concat(Dependents))
        {
            if ((uint)g >= (uint)Groups)
            {
                throw new InvalidOperationException($"A dependency names group {g}, outside the {Groups} groups.");
            }
        }
    }
}
