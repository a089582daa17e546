namespace Shardcast.Engine.Roadef;

/// <summary>The hard-constraint families of the challenge.</summary>
public enum RoadefConstraint
{
    Capacity,
    Conflict,
    Spread,
    Dependency,
    Transient,
}

/// <summary>One broken hard constraint, with its family and the ids involved in words.</summary>
public sealed record RoadefViolation(RoadefConstraint Family, string Detail);

/// <summary>The challenge's objective by term (weights applied) and every broken hard constraint.</summary>
public sealed record RoadefEvaluation(
    long LoadCost,
    long BalanceCost,
    long ProcessMoveCost,
    long ServiceMoveCost,
    long MachineMoveCost,
    IReadOnlyList<RoadefViolation> Violations)
{
    public long Objective => LoadCost + BalanceCost + ProcessMoveCost + ServiceMoveCost + MachineMoveCost;

    public bool Feasible => Violations.Count == 0;
}

/// <summary>
/// The challenge's objective and feasibility check in 64-bit integers, computed the obvious way from the
/// challenge's own definitions: the judge of every solution the engine writes, independent of the engine's
/// model and of its floating-point search.
/// </summary>
public static class RoadefChecker
{
    public static RoadefEvaluation Evaluate(RoadefInstance instance, IReadOnlyList<int> initial, IReadOnlyList<int> assignment)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(assignment);
        int processes = instance.Processes.Length;
        if (initial.Count != processes || assignment.Count != processes)
        {
            throw new ArgumentException($"assignments must cover the {processes} processes");
        }

        var (usage, transientUsage) = Usage(instance, initial, assignment);
        int machines = instance.Machines.Length;
        int resources = instance.Resources.Length;
        var violations = new List<RoadefViolation>();
        long loadCost = 0, balanceCost = 0;
        for (int m = 0; m < machines; m++)
        {
            var machine = instance.Machines[m];
            for (int r = 0; r < resources; r++)
            {
                if (usage[m, r] > machine.Capacity[r])
                {
                    violations.Add(new(RoadefConstraint.Capacity, $"machine {m} uses {usage[m, r]} of resource {r}, capacity {machine.Capacity[r]}"));
                }

                if (instance.Resources[r].Transient && usage[m, r] + transientUsage[m, r] > machine.Capacity[r])
                {
                    violations.Add(new(RoadefConstraint.Transient, $"machine {m} holds {usage[m, r]} + {transientUsage[m, r]} moved away of transient resource {r}, capacity {machine.Capacity[r]}"));
                }

                loadCost += instance.Resources[r].WeightLoadCost * Math.Max(0, usage[m, r] - machine.SafetyCapacity[r]);
            }

            foreach (var b in instance.Balances)
            {
                long availableA = machine.Capacity[b.ResourceA] - usage[m, b.ResourceA];
                long availableB = machine.Capacity[b.ResourceB] - usage[m, b.ResourceB];
                balanceCost += b.Weight * Math.Max(0, (b.Target * availableA) - availableB);
            }
        }

        CheckServices(instance, assignment, violations);

        long processMove = 0, machineMove = 0;
        var movedPerService = new int[instance.Services.Length];
        for (int p = 0; p < processes; p++)
        {
            int from = initial[p];
            int to = assignment[p];
            machineMove += instance.Machines[from].MoveCost[to];
            if (from != to)
            {
                processMove += instance.Processes[p].MoveCost;
                movedPerService[instance.Processes[p].Service]++;
            }
        }

        long serviceMove = movedPerService.Length == 0 ? 0 : movedPerService.Max();
        return new RoadefEvaluation(
            loadCost,
            balanceCost,
            instance.WeightProcessMove * processMove,
            instance.WeightServiceMove * serviceMove,
            instance.WeightMachineMove * machineMove,
            violations);
    }

    /// <summary>
    /// Per machine and resource, the requirement of the processes on it, and (transient resources only) the requirement
    /// still held there by the processes that started on it and moved away.
    /// </summary>
    internal static (long[,] Usage, long[,] Held) Usage(RoadefInstance instance, IReadOnlyList<int> initial, IReadOnlyList<int> assignment)
    {
        int machines = instance.Machines.Length;
        int resources = instance.Resources.Length;
        var usage = new long[machines, resources];
        var held = new long[machines, resources];
        for (int p = 0; p < instance.Processes.Length; p++)
        {
            var need = instance.Processes[p].Requirement;
            int m = assignment[p];
            if ((uint)m >= (uint)machines)
            {
                throw new ArgumentException($"process {p} is on machine {m}, outside 0..{machines - 1}");
            }

            for (int r = 0; r < resources; r++)
            {
                usage[m, r] += need[r];
                if (instance.Resources[r].Transient && initial[p] != m)
                {
                    held[initial[p], r] += need[r];
                }
            }
        }

        return (usage, held);
    }

    private static void CheckServices(RoadefInstance instance, IReadOnlyList<int> assignment, List<RoadefViolation> violations)
    {
        int services = instance.Services.Length;
        var members = new List<int>[services];
        for (int s = 0; s < services; s++)
        {
            members[s] = [];
        }

        for (int p = 0; p < assignment.Count; p++)
        {
            members[instance.Processes[p].Service].Add(p);
        }

        var neighborhoods = new HashSet<int>[services];
        for (int s = 0; s < services; s++)
        {
            var machinesUsed = new HashSet<int>();
            foreach (int p in members[s])
            {
                if (!machinesUsed.Add(assignment[p]))
                {
                    violations.Add(new(RoadefConstraint.Conflict, $"service {s} has two processes on machine {assignment[p]} (process {p} among them)"));
                }
            }

            int locations = members[s].Select(p => instance.Machines[assignment[p]].Location).Distinct().Count();
            if (locations < instance.Services[s].SpreadMin)
            {
                violations.Add(new(RoadefConstraint.Spread, $"service {s} spans {locations} locations, fewer than its spread minimum {instance.Services[s].SpreadMin}"));
            }

            neighborhoods[s] = members[s].Select(p => instance.Machines[assignment[p]].Neighborhood).ToHashSet();
        }

        for (int s = 0; s < services; s++)
        {
            foreach (int needed in instance.Services[s].DependsOn)
            {
                foreach (int n in neighborhoods[s])
                {
                    if (!neighborhoods[needed].Contains(n))
                    {
                        violations.Add(new(RoadefConstraint.Dependency, $"service {s} has a process in neighbourhood {n}, where service {needed} it depends on has none"));
                    }
                }
            }
        }
    }
}
