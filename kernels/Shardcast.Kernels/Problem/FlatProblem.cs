namespace Shardcast.Kernels.Problem;

/// <summary>
/// The planning problem as flat struct-of-arrays, the only shape every backend reads.
/// Loads and capacities are in relative units (divided by the resource's mean node capacity), so
/// resources measured in different units weigh alike in the cost; rows of H*R values are padded to
/// <see cref="Stride"/> (a multiple of 8 floats) with lanes that contribute zero to every term.
/// Kernels know no ids or names: index maps stay in the engine.
/// </summary>
public sealed class FlatProblem
{
    /// <summary>SIMD-friendly row width: one Vector256 of float holds 8 lanes.</summary>
    public const int LaneMultiple = 8;

    public FlatProblem(int partitions, int nodes, int steps, int resources, int zones)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resources);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(zones);
        Partitions = partitions;
        Nodes = nodes;
        Steps = steps;
        Resources = resources;
        Zones = zones;
        Stride = (steps * resources + LaneMultiple - 1) / LaneMultiple * LaneMultiple;
        Load = new float[partitions * Stride];
        Heat = new float[partitions];
        Capacity = new float[nodes * Stride];
        InverseCapacity = new float[nodes * Stride];
        BalanceTarget = new float[nodes * Stride];
        HeadroomLimit = new float[nodes * Stride];
        SizeBytes = new double[partitions];
        SizeFraction = new float[partitions];
        Initial = new int[partitions];
        Pinned = new bool[partitions];
        NodeZone = new int[nodes];
        ZoneDistance = new float[zones * zones];
        DomainOf = new int[partitions];
        GroupOf = new int[partitions];
        Array.Fill(GroupOf, -1);
        Parent = new int[partitions];
        Array.Fill(Parent, -1);
        NodeWords = (nodes + 63) / 64;
        DomainMasks = new ulong[NodeWords];
        GroupStart = [0];
        GroupMembers = [];
        GroupMinZones = [];
        CouplingStart = new int[partitions + 1];
        CouplingTarget = [];
        CouplingWeight = [];
        AffinityA = [];
        AffinityB = [];
        AffinityWeight = [];
    }

    public int Partitions { get; }
    public int Nodes { get; }
    public int Steps { get; }
    public int Resources { get; }
    public int Zones { get; }

    /// <summary>Row width of <see cref="Load"/> and the node arrays: H*R rounded up to a multiple of 8.</summary>
    public int Stride { get; }

    /// <summary>Planning load, [partition * Stride + h * R + r], relative units.</summary>
    public float[] Load { get; }

    /// <summary>A partition's peak relative load over all steps and resources: what makes it "hot".</summary>
    public float[] Heat { get; }

    /// <summary>Capacity expanded over steps, [node * Stride + h * R + r]; padding lanes hold 1.</summary>
    public float[] Capacity { get; }

    public float[] InverseCapacity { get; }

    /// <summary>U[h,r] * c[n,r]: the load at which node n sits exactly at the cluster-wide utilisation.</summary>
    public float[] BalanceTarget { get; }

    /// <summary>theta * c[n,r]: the load above which the headroom term starts.</summary>
    public float[] HeadroomLimit { get; }

    public double[] SizeBytes { get; }

    /// <summary>size[p] / total size, the migration term's per-partition weight.</summary>
    public float[] SizeFraction { get; }

    public int[] Initial { get; }

    public bool[] Pinned { get; }

    public int[] NodeZone { get; }

    /// <summary>[zoneA * Zones + zoneB]: the migration distance between zones (1 unless the cluster says otherwise).</summary>
    public float[] ZoneDistance { get; }

    /// <summary>Words of 64 bits per node set.</summary>
    public int NodeWords { get; }

    /// <summary>Node sets partitions may sit on (tenants' sets minus draining nodes), <see cref="NodeWords"/> words each.</summary>
    public ulong[] DomainMasks { get; set; }

    public int[] DomainOf { get; }

    /// <summary>Replica group of each partition, or -1.</summary>
    public int[] GroupOf { get; }

    /// <summary>CSR over groups: members of group g are GroupMembers[GroupStart[g]..GroupStart[g+1]).</summary>
    public int[] GroupStart { get; set; }

    public int[] GroupMembers { get; set; }

    public int[] GroupMinZones { get; set; }

    public int Groups => GroupMinZones.Length;

    /// <summary>Lineage: the parent partition index, or -1.</summary>
    public int[] Parent { get; }

    /// <summary>
    /// CSR of every pairwise term (affinity edges and child-parent lineage), in both directions, weights
    /// already multiplied by w_aff or w_lin: moving p changes exactly the edges listed under p.
    /// </summary>
    public int[] CouplingStart { get; set; }

    public int[] CouplingTarget { get; set; }

    public float[] CouplingWeight { get; set; }

    /// <summary>Affinity edges as given (for reporting the affinity term apart from lineage).</summary>
    public int[] AffinityA { get; set; }

    public int[] AffinityB { get; set; }

    public float[] AffinityWeight { get; set; }

    public CostWeights Weights { get; set; } = CostWeights.Default;

    /// <summary>The extended model's terms and constraints, or null when the cluster uses none of them.</summary>
    public ProblemExtensions? Extensions { get; set; }

    public int MaxMoves { get; set; } = int.MaxValue;

    public double MaxBytes { get; set; } = double.PositiveInfinity;

    public bool IsAllowed(int partition, int node)
    {
        int word = DomainOf[partition] * NodeWords + (node >> 6);
        return (DomainMasks[word] & (1UL << (node & 63))) != 0;
    }

    public ReadOnlySpan<float> LoadRow(int partition) => Load.AsSpan(partition * Stride, Stride);

    /// <summary>A partition's load relative to a node's capacity, summed over every lane: the size the host phases rank members by.</summary>
    public float RelativeSize(int partition, int node)
    {
        var row = LoadRow(partition);
        var inverse = InverseCapacity.AsSpan(node * Stride, Stride);
        float size = 0;
        for (int k = 0; k < row.Length; k++)
        {
            size += row[k] * inverse[k];
        }

        return size;
    }

    /// <summary>Members of the largest group (0 without groups).</summary>
    public int LargestGroup()
    {
        int largest = 0;
        for (int g = 0; g < Groups; g++)
        {
            largest = Math.Max(largest, GroupStart[g + 1] - GroupStart[g]);
        }

        return largest;
    }

    public ReadOnlySpan<int> MembersOf(int group) =>
        GroupMembers.AsSpan(GroupStart[group], GroupStart[group + 1] - GroupStart[group]);

    /// <summary>Checks that every array has the length the dimensions imply; engines call it once after filling.</summary>
    public void Validate()
    {
        if (DomainMasks.Length % NodeWords != 0 || DomainMasks.Length == 0)
        {
            throw new InvalidOperationException("DomainMasks must hold whole node sets.");
        }

        int domains = DomainMasks.Length / NodeWords;
        for (int p = 0; p < Partitions; p++)
        {
            if ((uint)DomainOf[p] >= (uint)domains)
            {
                throw new InvalidOperationException($"DomainOf[{p}] = {DomainOf[p]} is outside the {domains} node sets.");
            }

            if ((uint)Initial[p] >= (uint)Nodes)
            {
                throw new InvalidOperationException($"Initial[{p}] = {Initial[p]} is not a node index.");
            }

            if (GroupOf[p] >= Groups)
            {
                throw new InvalidOperationException($"GroupOf[{p}] = {GroupOf[p]} is outside the {Groups} groups.");
            }
        }

        if (GroupStart.Length != Groups + 1 || GroupStart[^1] != GroupMembers.Length)
        {
            throw new InvalidOperationException("GroupStart must be a CSR index over GroupMembers.");
        }

        if (CouplingStart.Length != Partitions + 1 || CouplingStart[^1] != CouplingTarget.Length || CouplingWeight.Length != CouplingTarget.Length)
        {
            throw new InvalidOperationException("CouplingStart must be a CSR index over CouplingTarget and CouplingWeight.");
        }

        Extensions?.Validate(this);
        foreach (int z in NodeZone)
        {
            if ((uint)z >= (uint)Zones)
            {
                throw new InvalidOperationException($"NodeZone holds {z}, outside the {Zones} zones.");
            }
        }
    }
}
