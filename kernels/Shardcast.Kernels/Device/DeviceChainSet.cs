using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Device;

/// <summary>
/// K annealing chains (or genetic individuals, or candidates to score) in device memory, OpenCL or CUDA through
/// <see cref="IDeviceRuntime"/>: the problem uploaded once, each chain's state (assignment, node loads and peaks,
/// members, moved partitions, group zone counts, the extended model's state, counters, random stream) kept on the
/// device between launches. Per epoch the host writes K inverse temperatures and reads K energies and acceptance
/// counts; buffers are bound in the order of the kernel source's PROBLEM_ARGS, STATE_ARGS and EXT_ARGS.
/// </summary>
internal sealed class DeviceChainSet : IChainSet
{
    /// <summary>Positions in STATE_ARGS of the buffers the host reads or writes.</summary>
    private const int AssignBuffer = 0;
    private const int ChainIntBuffer = 10;
    private const int ChainDoubleBuffer = 11;
    private const int ChainLongBuffer = 12;
    private const int RngBuffer = 13;

    private readonly IDeviceRuntime _runtime;
    private readonly FlatProblem _problem;
    private readonly SearchOptions _options;
    private readonly List<DeviceBuffer> _owned = [];
    private readonly double[] _doubles;
    private readonly long[] _longs;
    private readonly float[] _inverseTemperature;
    private readonly Action<string>? _faultInjection;
    private DeviceBuffer[] _problemBuffers = [];
    private DeviceBuffer[] _stateBuffers = [];
    private DeviceBuffer? _terms;
    private DeviceBuffer? _temperatures;
    private DeviceKernel? _reset;
    private DeviceKernel? _anneal;
    private DeviceKernel? _crossover;
    private DeviceKernel? _adopt;
    private DeviceKernel? _mutateRepair;
    private DeviceBuffer[] _extensionBuffers = [];
    private DeviceBuffer? _parents;
    private DeviceBuffer? _offspring;
    private DeviceBuffer? _mutations;
    private DeviceProblemImage? _image;

    public DeviceChainSet(IDeviceRuntime runtime, FlatProblem problem, SearchOptions options, int count, Action<string>? faultInjection = null)
    {
        _runtime = runtime;
        _problem = problem;
        _options = options;
        Count = count;
        _doubles = new double[count * KernelLayout.ChainDoubles];
        _longs = new long[count * KernelLayout.ChainLongs];
        _inverseTemperature = new float[count];
        _faultInjection = faultInjection;
    }

    public int Count { get; }

    /// <summary>Device bytes this chain set holds (problem and chains).</summary>
    public long DeviceBytes => _owned.Sum(b => b.Bytes);

    public void Start(ReadOnlySpan<int> assignment)
    {
        Allocate(DeviceProblemImage.LargestNodeCount(_problem.Nodes, assignment));
        _runtime.Write(_stateBuffers[AssignBuffer], assignment);
        if (Count > 1)
        {
            using var spread = _runtime.Bind(KernelSource.SpreadKernel, [_problemBuffers[0], _stateBuffers[AssignBuffer]]);
            _runtime.Launch(spread, Count, []);
        }

        var rng = new ulong[Count * 2];
        for (int c = 0; c < Count; c++)
        {
            rng[c * 2] = CounterRng.KeyOf(_options.Seed, (ulong)c);
        }

        _runtime.Write<ulong>(_stateBuffers[RngBuffer], rng);
        _runtime.Write<long>(_stateBuffers[ChainLongBuffer], new long[Count * KernelLayout.ChainLongs]);
        Resynchronise();
    }

    /// <summary>Loads K candidate assignments (K = <see cref="Count"/>) and returns each one's cost by term.</summary>
    public CostBreakdown[] Evaluate(IReadOnlyList<int[]> candidates)
    {
        int largest = 0;
        foreach (int[] candidate in candidates)
        {
            largest = Math.Max(largest, DeviceProblemImage.LargestNodeCount(_problem.Nodes, candidate));
        }

        Allocate(largest);
        for (int c = 0; c < Count; c++)
        {
            _runtime.Write<int>(_stateBuffers[AssignBuffer], candidates[c], (long)c * _problem.Partitions);
        }

        var terms = RunReset();
        var result = new CostBreakdown[Count];
        for (int c = 0; c < Count; c++)
        {
            var t = terms.AsSpan(c * KernelLayout.TermCount, KernelLayout.TermCount);
            result[c] = new CostBreakdown(t[KernelLayout.TermBalance], t[KernelLayout.TermHeadroom], t[KernelLayout.TermMigration],
                t[KernelLayout.TermAffinity], t[KernelLayout.TermLineage], t[KernelLayout.TermOverload], (int)t[KernelLayout.TermViolations],
                t[KernelLayout.TermSafety], t[KernelLayout.TermResourceBalance], t[KernelLayout.TermPartitionMove], t[KernelLayout.TermGroupMove], t[KernelLayout.TermNodeMove]);
        }

        return result;
    }

    public void RunEpoch(ReadOnlySpan<double> temperatures, int steps)
    {
        _faultInjection?.Invoke("epoch");
        for (int c = 0; c < Count; c++)
        {
            double t = temperatures[c];
            _inverseTemperature[c] = t > 0 ? (float)(1.0 / t) : float.PositiveInfinity;
        }

        _runtime.Write<float>(_temperatures!, _inverseTemperature);
        _runtime.Launch(_anneal!, Count, [steps]);
        _runtime.Read<double>(_stateBuffers[ChainDoubleBuffer], _doubles);
        _runtime.Read<long>(_stateBuffers[ChainLongBuffer], _longs);
    }

    public void Resynchronise() => RunReset();

    /// <summary>
    /// One generation's offspring: chain i (where <paramref name="mutations"/>[i] is not negative) becomes the crossover
    /// of chains parents[2i] and parents[2i+1], then takes that many random moves and is repaired; the others stay.
    /// </summary>
    public void Breed(ReadOnlySpan<int> parents, ReadOnlySpan<int> mutations)
    {
        EnsureGenetic();
        _faultInjection?.Invoke("breed");
        _runtime.Write(_parents!, parents);
        _runtime.Write(_mutations!, mutations);
        _runtime.Launch(_crossover!, Count, []);
        _runtime.Launch(_adopt!, Count, []);
        RunReset();
        _runtime.Launch(_mutateRepair!, Count, []);
    }

    /// <summary>Random moves and repair only (the first population: mutants of the start).</summary>
    public void MutateAndRepair(ReadOnlySpan<int> mutations)
    {
        EnsureGenetic();
        _runtime.Write(_mutations!, mutations);
        _runtime.Launch(_mutateRepair!, Count, []);
    }

    /// <summary>Zero-temperature descent of <paramref name="steps"/> proposals on the chains where mutations[i] is not negative; then exact costs.</summary>
    public void Improve(ReadOnlySpan<int> mutations, int steps)
    {
        for (int c = 0; c < Count; c++)
        {
            _inverseTemperature[c] = mutations[c] >= 0 ? float.PositiveInfinity : -1f;
        }

        _runtime.Write<float>(_temperatures!, _inverseTemperature);
        _runtime.Launch(_anneal!, Count, [steps]);
        RunReset();
    }

    private void EnsureGenetic()
    {
        if (_crossover is not null)
        {
            return;
        }

        long k = Count;
        _parents = State(k * 2 * 4, "parents");
        _offspring = State(k * _problem.Partitions * 4, "offspring");
        _mutations = State(k * 4, "mutations");
        _crossover = _runtime.Bind(KernelSource.CrossoverKernel, [.. _problemBuffers, .. _stateBuffers, _parents, _offspring, _mutations]);
        _adopt = _runtime.Bind(KernelSource.AdoptKernel, [.. _problemBuffers, .. _stateBuffers, _offspring, _mutations]);
        _mutateRepair = _runtime.Bind(KernelSource.MutateRepairKernel, [.. _problemBuffers, .. _stateBuffers, .. _extensionBuffers, _offspring, _mutations]);
    }

    private double[] RunReset()
    {
        _runtime.Launch(_reset!, Count, []);
        var ints = new int[Count * KernelLayout.ChainInts];
        _runtime.Read<int>(_stateBuffers[ChainIntBuffer], ints);
        for (int c = 0; c < Count; c++)
        {
            if (ints[(c * KernelLayout.ChainInts) + KernelLayout.ChainSlotOverflow] != 0)
            {
                throw new InvalidOperationException($"Chain {c} holds more partitions on one node than the {_image!.Slots} member slots sized for it.");
            }
        }

        var terms = new double[Count * KernelLayout.TermCount];
        _runtime.Read<double>(_terms!, terms);
        _runtime.Read<double>(_stateBuffers[ChainDoubleBuffer], _doubles);
        _runtime.Read<long>(_stateBuffers[ChainLongBuffer], _longs);
        return terms;
    }

    public double Energy(int chain) => _doubles[chain * KernelLayout.ChainDoubles];

    public (long Proposed, long Accepted) Uphill(int chain) =>
        (_longs[(chain * KernelLayout.ChainLongs) + KernelLayout.LongUphillProposed], _longs[(chain * KernelLayout.ChainLongs) + KernelLayout.LongUphillAccepted]);

    public void CopyAssignment(int chain, int[] destination) => _runtime.Read<int>(_stateBuffers[AssignBuffer], destination.AsSpan(0, _problem.Partitions), (long)chain * _problem.Partitions);

    public (long Evaluated, long Accepted) Totals()
    {
        long evaluated = 0, accepted = 0;
        for (int c = 0; c < Count; c++)
        {
            evaluated += _longs[(c * KernelLayout.ChainLongs) + KernelLayout.LongEvaluated];
            accepted += _longs[(c * KernelLayout.ChainLongs) + KernelLayout.LongAccepted];
        }

        return (evaluated, accepted);
    }

    /// <summary>Uploads the problem and allocates the chains' state, once; later calls only check the member slots suffice.</summary>
    private void Allocate(int largestNodeCount)
    {
        if (_image is not null)
        {
            if (largestNodeCount > _image.Slots)
            {
                throw new InvalidOperationException($"An assignment puts {largestNodeCount} partitions on one node; the chains were sized for {_image.Slots}.");
            }

            return;
        }

        _faultInjection?.Invoke("allocate");
        var image = new DeviceProblemImage(_problem, _options, largestNodeCount);
        var p = _problem;
        _problemBuffers =
        [
            Upload<int>(image.Dims(Count), "dims"), Upload<double>(image.Params, "params"),
            Upload<float>(p.Load, "load"), Upload<float>(p.Heat, "heat"), Upload<float>(p.Capacity, "capacity"), Upload<float>(p.InverseCapacity, "inverse_capacity"),
            Upload<float>(p.BalanceTarget, "balance_target"), Upload<float>(p.HeadroomLimit, "headroom_limit"), Upload<double>(p.SizeBytes, "size_bytes"),
            Upload<float>(p.SizeFraction, "size_fraction"), Upload<int>(p.Initial, "initial"), Upload<int>(image.Pinned, "pinned"), Upload<int>(p.NodeZone, "node_zone"),
            Upload<float>(p.ZoneDistance, "zone_distance"), Upload<ulong>(p.DomainMasks, "domain_masks"), Upload<int>(p.DomainOf, "domain_of"), Upload<int>(p.GroupOf, "group_of"),
            Upload<int>(p.GroupStart, "group_start"), Upload<int>(p.GroupMembers, "group_members"), Upload<int>(p.GroupMinZones, "group_min_zones"), Upload<int>(p.Parent, "parent"),
            Upload<int>(p.CouplingStart, "coupling_start"), Upload<int>(p.CouplingTarget, "coupling_target"), Upload<float>(p.CouplingWeight, "coupling_weight"),
            Upload<int>(p.AffinityA, "affinity_a"), Upload<int>(p.AffinityB, "affinity_b"), Upload<float>(p.AffinityWeight, "affinity_weight"),
            Upload<int>(image.Movable, "movable"), Upload<int>(image.EdgeSource, "edge_source"),
        ];
        long k = Count;
        _stateBuffers =
        [
            State(k * p.Partitions * 4, "assign"), State(k * p.Nodes * p.Stride * 4, "node_load"), State(k * p.Nodes * 4, "node_peak"),
            State(k * p.Nodes * image.Slots * 4, "member_list"), State(k * p.Partitions * 4, "member_pos"), State(k * p.Nodes * 4, "member_count"),
            State(k * p.Partitions * 4, "moved_list"), State(k * p.Partitions * 4, "moved_pos"), State(k * image.GroupRows * p.Zones * 4, "in_zone"),
            State(k * image.GroupRows * 4, "zones"), State(k * KernelLayout.ChainInts * 4, "chain_int"), State(k * KernelLayout.ChainDoubles * 8, "chain_double"),
            State(k * KernelLayout.ChainLongs * 8, "chain_long"), State(k * 2 * 8, "rng"),
        ];
        _terms = State(k * KernelLayout.TermCount * 8, "terms");
        _temperatures = State(k * 4, "inverse_temperature");
        _extensionBuffers = ExtensionBuffers.Create(_runtime, p, k, buffer =>
        {
            _owned.Add(buffer);
            return buffer;
        });
        _reset = _runtime.Bind(KernelSource.ResetKernel, [.. _problemBuffers, .. _stateBuffers, .. _extensionBuffers, _terms]);
        _anneal = _runtime.Bind(KernelSource.AnnealKernel, [.. _problemBuffers, .. _stateBuffers, .. _extensionBuffers, _temperatures]);
        _image = image;
    }

    private DeviceBuffer Upload<T>(T[] data, string name)
        where T : unmanaged
    {
        var buffer = _runtime.Allocate((long)data.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), readOnly: true, name);
        _owned.Add(buffer);
        _runtime.Write<T>(buffer, data);
        return buffer;
    }

    private DeviceBuffer State(long bytes, string name)
    {
        var buffer = _runtime.Allocate(bytes, readOnly: false, name);
        _owned.Add(buffer);
        return buffer;
    }

    public void Dispose()
    {
        _reset?.Dispose();
        _anneal?.Dispose();
        _crossover?.Dispose();
        _adopt?.Dispose();
        _mutateRepair?.Dispose();
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }

        _owned.Clear();
    }
}
