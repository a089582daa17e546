using Shardcast.Engine.Planning;
using Shardcast.Engine.Roadef;

namespace Shardcast.Engine.Tests.Roadef;

/// <summary>
/// An outside reference for moved assignments: a small instance whose objective is worked out by hand below, term by
/// term, from the challenge's definitions. Both judges must reach it: the exact integer checker and the engine's
/// double-precision reference on the instance mapped onto a cluster (the cost every search minimises).
/// </summary>
public class RoadefHandWorkedTests
{
    // Two resources: cpu (weight of load cost 10) and disk (transient, weight 1). Three machines: m0 in location 0,
    // neighbourhood 0; m1 in location 1, neighbourhood 0; m2 in location 1, neighbourhood 1. Capacities 100 for both
    // resources, safety capacities 60 (cpu) and 100 (disk). Machine move costs m0->m1 2, m0->m2 5, m1->m2 3 (both ways).
    // Services s0 = {p0, p1}, s1 = {p2, p3}, spread 1, no dependencies. Requirements (cpu, disk) and process move costs:
    // p0 (50, 20) 3; p1 (30, 10) 4; p2 (40, 30) 1; p3 (20, 20) 2. One balance cost: cpu -> disk, target 2, weight 5.
    // Weights: process move 1, service move 10, machine move 100.
    private const string Model = """
        2
        0 10
        1 1
        3
        0 0 100 100 60 100 0 2 5
        0 1 100 100 60 100 2 0 3
        1 1 100 100 60 100 5 3 0
        2
        1 0
        1 0
        4
        0 50 20 3
        0 30 10 4
        1 40 30 1
        1 20 20 2
        1
        0 1 2
        5
        1 10 100
        """;

    private static readonly int[] Initial = [0, 1, 2, 0];

    [Fact]
    public void TheInitialAssignment_CostsWhatTheDefinitionsGive()
    {
        // Usage (cpu, disk): m0 (70, 40), m1 (30, 10), m2 (40, 30).
        // Load cost: cpu above 60 on m0 by 10 -> 10 x 10 = 100; disk nowhere above 100.
        // Balance: available (cpu, disk) m0 (30, 60): 2*30 - 60 = 0; m1 (70, 90): 140 - 90 = 50; m2 (60, 70): 120 - 70 = 50;
        // 5 x 100 = 500. Nothing moved. Objective 600.
        Check(Initial, load: 100, balance: 500, processMove: 0, serviceMove: 0, machineMove: 0);
    }

    [Fact]
    public void AMovedAssignment_CostsWhatTheDefinitionsGive()
    {
        // p0 m0 -> m2 and p3 m0 -> m1. Usage (cpu, disk): m0 (0, 0), m1 (50, 30), m2 (90, 50); disk is transient, so m0
        // still holds the disk of the two processes that left it (40 of 100): feasible.
        // Load cost: cpu above 60 on m2 by 30 -> 10 x 30 = 300.
        // Balance: m0 (100, 100): 200 - 100 = 100; m1 (50, 70): 100 - 70 = 30; m2 (10, 50): 20 - 50 < 0 -> 0; 5 x 130 = 650.
        // Process moves: p0 3 + p3 2 = 5, weight 1 -> 5. Service moves: one process of each service moved, max 1 -> 10.
        // Machine moves: m0->m2 5 + m0->m1 2 = 7, weight 100 -> 700. Objective 1,665.
        Check([2, 1, 2, 1], load: 300, balance: 650, processMove: 5, serviceMove: 10, machineMove: 700);
    }

    [Fact]
    public void EveryProcessOnOneMachine_OverfillsItAndBreaksBothServices()
    {
        // cpu on m0: 50 + 30 + 40 + 20 = 140 of 100; both services have two processes on m0.
        var instance = RoadefFiles.ParseModel(Model);
        var evaluation = RoadefChecker.Evaluate(instance, Initial, [0, 0, 0, 0]);
        Assert.Contains(evaluation.Violations, v => v.Family == RoadefConstraint.Capacity && v.Detail.StartsWith("machine 0 ", StringComparison.Ordinal));
        Assert.Equal(2, evaluation.Violations.Count(v => v.Family == RoadefConstraint.Conflict));
        var reference = ReferenceCost.Evaluate(PlanningInput.From(RoadefMapping.ToCluster(instance, Initial)), [0, 0, 0, 0]);
        Assert.True(reference.Cost.Violations > 0, "the engine's reference sees the broken constraints too");
    }

    private static void Check(int[] assignment, long load, long balance, long processMove, long serviceMove, long machineMove)
    {
        var instance = RoadefFiles.ParseModel(Model);
        var checker = RoadefChecker.Evaluate(instance, Initial, assignment);
        Assert.True(checker.Feasible, string.Join("; ", checker.Violations.Select(v => v.Detail)));
        Assert.Equal((load, balance, processMove, serviceMove, machineMove), (checker.LoadCost, checker.BalanceCost, checker.ProcessMoveCost, checker.ServiceMoveCost, checker.MachineMoveCost));

        var input = PlanningInput.From(RoadefMapping.ToCluster(instance, Initial));
        var reference = ReferenceCost.Evaluate(input, assignment);
        Assert.Equal(0, reference.Cost.Violations);
        Assert.Equal((double)(load + balance + processMove + serviceMove + machineMove), reference.Cost.Total, 9);
        Assert.Equal(load, reference.Cost.Safety, 9);
        Assert.Equal(balance, reference.Cost.ResourceBalance, 9);
        Assert.Equal(processMove, reference.Cost.PartitionMove, 9);
        Assert.Equal(serviceMove, reference.Cost.GroupMove, 9);
        Assert.Equal(machineMove, reference.Cost.NodeMove, 9);
    }
}
