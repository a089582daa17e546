namespace Shardcast.Engine.Roadef;

/// <summary>
/// A machine-reassignment instance of the ROADEF/EURO 2012 challenge as its model file states it, in the
/// challenge's own integers. Indices are the file's order (0-based).
/// </summary>
public sealed class RoadefInstance
{
    public required RoadefResource[] Resources { get; init; }
    public required RoadefMachine[] Machines { get; init; }
    public required RoadefService[] Services { get; init; }
    public required RoadefProcess[] Processes { get; init; }
    public required RoadefBalance[] Balances { get; init; }
    public required long WeightProcessMove { get; init; }
    public required long WeightServiceMove { get; init; }
    public required long WeightMachineMove { get; init; }

    public int Neighborhoods => Machines.Length == 0 ? 0 : Machines.Max(m => m.Neighborhood) + 1;

    public int Locations => Machines.Length == 0 ? 0 : Machines.Max(m => m.Location) + 1;
}

/// <param name="Transient">Whether a moved process keeps consuming the resource on its original machine.</param>
/// <param name="WeightLoadCost">The load cost's weight: per unit of usage above a machine's safety capacity.</param>
public sealed record RoadefResource(bool Transient, long WeightLoadCost);

/// <param name="MoveCost">Cost of moving a process from this machine to machine m, indexed by m.</param>
public sealed record RoadefMachine(int Neighborhood, int Location, long[] Capacity, long[] SafetyCapacity, long[] MoveCost);

/// <param name="DependsOn">Services that must have a process in every neighbourhood where this one has one.</param>
public sealed record RoadefService(int SpreadMin, int[] DependsOn);

public sealed record RoadefProcess(int Service, long[] Requirement, long MoveCost);

/// <summary>Balance objective: on every machine, target * available(r1) should not exceed available(r2).</summary>
public sealed record RoadefBalance(int ResourceA, int ResourceB, long Target, long Weight);
