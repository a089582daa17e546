namespace Shardcast.Engine.Roadef;

/// <summary>
/// One resource's share of the load cost above the aggregate bound: <see cref="Excess"/> units over safety capacity
/// on some machines while <see cref="Room"/> units are left under it on others; the smaller of the two, weighted,
/// is what this plan pays on the resource above the aggregate bound (<see cref="Cost"/>).
/// </summary>
public sealed record RoadefResourceGap(int Resource, long Excess, int MachinesOver, long Room, int MachinesUnder, long Cost)
{
    /// <summary>Whether the room left under safety capacity is what keeps the cost up (rather than the excess).</summary>
    public bool RoomBinds => Room <= Excess;
}

/// <summary>
/// A machine on the binding side of a resource's gap: the room it leaves under safety capacity (or its excess over
/// it), its usage and the transient usage it still holds for processes that moved away from it, and the capacity it
/// has left for newcomers on every resource (capacity less usage less held): a newcomer needs room on all of them.
/// </summary>
public sealed record RoadefMachineGap(int Machine, int Resource, long Amount, long Usage, long Held, long[] CapacityLeft);

/// <summary>A plan's load cost split into the aggregate bound and what each resource adds above it.</summary>
public sealed record RoadefLoadGapReport(long AggregateBound, IReadOnlyList<RoadefResourceGap> Resources, IReadOnlyList<RoadefMachineGap> Machines)
{
    public long AboveBound => Resources.Sum(r => r.Cost);
}

/// <summary>
/// Where a plan's load cost stands against the bound that every plan obeys. The processes' total requirement of a
/// resource does not depend on the plan, so the load cost is at least the weighted total over the machines' total
/// safety capacity; a plan pays more exactly where one machine is over safety capacity while another is under it.
/// Per resource that extra is the weight times the smaller of the total excess and the total room left, so the load
/// cost equals the bound plus the sum of those shares, in exact integers. The machines on the binding side, with the
/// capacity each has left for newcomers, say why the search stopped there: room that nothing may move into (a
/// machine whose transient capacity is held for processes that left it) cannot be filled by any single move.
/// </summary>
public static class RoadefLoadGap
{
    public static RoadefLoadGapReport Analyze(RoadefInstance instance, IReadOnlyList<int> initial, IReadOnlyList<int> assignment)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(assignment);
        var (usage, held) = RoadefChecker.Usage(instance, initial, assignment);
        int machines = instance.Machines.Length;
        long bound = 0;
        var resources = new List<RoadefResourceGap>();
        var binding = new List<RoadefMachineGap>();
        for (int r = 0; r < instance.Resources.Length; r++)
        {
            long excess = 0, room = 0, total = 0, safety = 0;
            int over = 0, under = 0;
            for (int m = 0; m < machines; m++)
            {
                long slack = instance.Machines[m].SafetyCapacity[r] - usage[m, r];
                total += usage[m, r];
                safety += instance.Machines[m].SafetyCapacity[r];
                if (slack < 0)
                {
                    excess -= slack;
                    over++;
                }
                else if (slack > 0)
                {
                    room += slack;
                    under++;
                }
            }

            long weight = instance.Resources[r].WeightLoadCost;
            bound += weight * Math.Max(0, total - safety);
            var gap = new RoadefResourceGap(r, excess, over, room, under, weight * Math.Min(excess, room));
            resources.Add(gap);
            if (gap.Cost == 0)
            {
                continue;
            }

            for (int m = 0; m < machines; m++)
            {
                long slack = instance.Machines[m].SafetyCapacity[r] - usage[m, r];
                if (gap.RoomBinds ? slack > 0 : slack < 0)
                {
                    var capacityLeft = new long[instance.Resources.Length];
                    for (int k = 0; k < capacityLeft.Length; k++)
                    {
                        capacityLeft[k] = instance.Machines[m].Capacity[k] - usage[m, k] - held[m, k];
                    }

                    binding.Add(new RoadefMachineGap(m, r, Math.Abs(slack), usage[m, r], held[m, r], capacityLeft));
                }
            }
        }

        binding.Sort((a, b) => (instance.Resources[b.Resource].WeightLoadCost * b.Amount).CompareTo(instance.Resources[a.Resource].WeightLoadCost * a.Amount));
        return new RoadefLoadGapReport(bound, resources, binding);
    }
}
