using System.Globalization;
using Shardcast.Engine.Roadef;

namespace Shardcast.Engine.Tests.Roadef;

/// <summary>The exact checker against the challenge's published costs, and each constraint family caught by a known-infeasible edit.</summary>
public class RoadefCheckerTests
{
    public static TheoryData<string> SetA => [.. RoadefData.SetA];

    [Theory]
    [MemberData(nameof(SetA))]
    public void InitialAssignment_ObjectiveEqualsThePublishedOriginalCost(string name)
    {
        var (instance, initial) = RoadefData.Load(name);
        var evaluation = RoadefChecker.Evaluate(instance, initial, initial);
        Assert.True(evaluation.Feasible, string.Join("; ", evaluation.Violations.Select(v => v.Detail)));
        Assert.Equal(RoadefData.OriginalCost(name), evaluation.Objective);
        Assert.Equal(0, evaluation.ProcessMoveCost + evaluation.ServiceMoveCost + evaluation.MachineMoveCost);
    }

    [Fact]
    public void Capacity_OverfillingAMachine_IsCaught()
    {
        var (instance, initial) = RoadefData.Load("a1_2");
        var edited = initial.ToArray();
        long used = Enumerable.Range(0, edited.Length).Where(p => edited[p] == 0).Sum(p => instance.Processes[p].Requirement[0]);
        foreach (int p in Enumerable.Range(0, edited.Length).Where(p => edited[p] != 0).OrderByDescending(p => instance.Processes[p].Requirement[0]))
        {
            edited[p] = 0;
            used += instance.Processes[p].Requirement[0];
            if (used > instance.Machines[0].Capacity[0])
            {
                break;
            }
        }

        var evaluation = RoadefChecker.Evaluate(instance, initial, edited);
        Assert.Contains(evaluation.Violations, v => v.Family == RoadefConstraint.Capacity && v.Detail.StartsWith("machine 0 ", StringComparison.Ordinal));
    }

    [Fact]
    public void Conflict_TwoProcessesOfAServiceOnOneMachine_IsCaught()
    {
        var (instance, initial) = RoadefData.Load("a2_3");
        var (a, b) = TwoOfOneService(instance);
        var edited = initial.ToArray();
        edited[b] = edited[a];
        var evaluation = RoadefChecker.Evaluate(instance, initial, edited);
        Assert.Contains(evaluation.Violations, v => v.Family == RoadefConstraint.Conflict);
    }

    [Fact]
    public void Spread_AServiceGatheredIntoOneLocation_IsCaught()
    {
        var (instance, initial) = RoadefData.Load("a2_3");
        int service = Enumerable.Range(0, instance.Services.Length).First(s => instance.Services[s].SpreadMin >= 2);
        int location = instance.Machines[0].Location;
        var machines = Enumerable.Range(0, instance.Machines.Length).Where(m => instance.Machines[m].Location == location).ToArray();
        var edited = initial.ToArray();
        int next = 0;
        for (int p = 0; p < edited.Length; p++)
        {
            if (instance.Processes[p].Service == service)
            {
                edited[p] = machines[next++ % machines.Length];
            }
        }

        var evaluation = RoadefChecker.Evaluate(instance, initial, edited);
        Assert.Contains(evaluation.Violations, v => v.Family == RoadefConstraint.Spread && v.Detail.StartsWith($"service {service} ", StringComparison.Ordinal));
    }

    [Fact]
    public void Dependency_AProcessMovedWhereItsDependencyIsAbsent_IsCaught()
    {
        var (instance, initial) = RoadefData.Load("a2_3");
        var neighborhoodsOf = Enumerable.Range(0, instance.Services.Length)
            .Select(s => Enumerable.Range(0, initial.Length).Where(p => instance.Processes[p].Service == s).Select(p => instance.Machines[initial[p]].Neighborhood).ToHashSet())
            .ToArray();

        // A service s depending on d, and a neighbourhood without d: moving a process of s there breaks the dependency.
        foreach (int s in Enumerable.Range(0, instance.Services.Length))
        {
            foreach (int d in instance.Services[s].DependsOn)
            {
                int missing = Enumerable.Range(0, instance.Neighborhoods).FirstOrDefault(n => !neighborhoodsOf[d].Contains(n), -1);
                if (missing < 0)
                {
                    continue;
                }

                int p = Enumerable.Range(0, initial.Length).First(q => instance.Processes[q].Service == s);
                var edited = initial.ToArray();
                edited[p] = Enumerable.Range(0, instance.Machines.Length).First(m => instance.Machines[m].Neighborhood == missing);
                var evaluation = RoadefChecker.Evaluate(instance, initial, edited);
                Assert.Contains(evaluation.Violations, v => v.Family == RoadefConstraint.Dependency && v.Detail.StartsWith($"service {s} ", StringComparison.Ordinal));
                return;
            }
        }

        Assert.Fail("a2_3 has dependencies with an uncovered neighbourhood");
    }

    [Fact]
    public void Transient_AMachineRefilledBehindAProcessThatLeft_IsCaught()
    {
        var (instance, initial) = RoadefData.Load("a1_2");
        int r = Array.FindIndex(instance.Resources, x => x.Transient);
        var usage = RoadefData.Usage(instance, initial, r);

        // Move p off machine m and a process q onto m that fits in what p freed but not beside p's transient usage.
        for (int p = 0; p < initial.Length; p++)
        {
            int m = initial[p];
            long free = instance.Machines[m].Capacity[r] - usage[m];
            for (int q = 0; q < initial.Length; q++)
            {
                long need = instance.Processes[q].Requirement[r];
                if (initial[q] != m && need > free && need <= free + instance.Processes[p].Requirement[r])
                {
                    var edited = initial.ToArray();
                    edited[q] = m;
                    edited[p] = initial[q];
                    var evaluation = RoadefChecker.Evaluate(instance, initial, edited);
                    Assert.Contains(evaluation.Violations, v => v.Family == RoadefConstraint.Transient && v.Detail.StartsWith($"machine {m} ", StringComparison.Ordinal));
                    Assert.DoesNotContain(evaluation.Violations, v => v.Family == RoadefConstraint.Capacity && v.Detail.StartsWith($"machine {m} ", StringComparison.Ordinal) && v.Detail.Contains($"resource {r},", StringComparison.Ordinal));
                    return;
                }
            }
        }

        Assert.Fail("no transient edit found in a1_2");
    }

    [Fact]
    public void Files_TruncatedOrOutOfRange_AreRefusedNamingTheField()
    {
        string model = File.ReadAllText(RoadefData.File("model", "a1_1"));
        var truncated = Assert.Throws<RoadefFormatException>(() => RoadefFiles.ParseModel(model[..(model.Length / 2)], "m.txt"));
        Assert.StartsWith("m.txt: ", truncated.Message, StringComparison.Ordinal);
        var instance = RoadefFiles.ParseModel(model);
        var outOfRange = Assert.Throws<RoadefFormatException>(() => RoadefFiles.ParseAssignment(string.Join(' ', Enumerable.Repeat("7", instance.Processes.Length)), instance, "a.txt"));
        Assert.Contains("machine of process 0", outOfRange.Message, StringComparison.Ordinal);
        Assert.Throws<RoadefFormatException>(() => RoadefFiles.ParseAssignment("0 1 x", instance));
        Assert.Throws<RoadefFormatException>(() => RoadefFiles.ParseModel(model + " 5"));
    }

    /// <summary>One resource, two machines, one service of two processes, no balance; <c>{0}</c> is machine 1's move cost to machine 0.</summary>
    private const string TinyModel = "1\n0 10\n2\n0 0 100 80 0 1\n1 1 100 80 {0} 0\n1\n0 0\n2\n0 30 1\n0 40 1\n0\n1 10 100\n";

    [Theory]
    [InlineData("7", 7L)]
    [InlineData("+7", 7L)]
    [InlineData("000000000000000007", 7L)]
    [InlineData("999999999999999999", 999_999_999_999_999_999L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Tokens_PlainSignedAndLongIntegers_ReadAsLongParseReadsThem(string token, long expected)
    {
        var instance = RoadefFiles.ParseModel(string.Format(CultureInfo.InvariantCulture, TinyModel, token));
        Assert.Equal(expected, instance.Machines[1].MoveCost[0]);
        Assert.Equal(0, instance.Machines[1].MoveCost[1]);
        Assert.Equal(100, instance.WeightMachineMove);
    }

    [Theory]
    [InlineData("-7", "the machine 1 move cost [0] (token 15) must not be negative, found -7")]
    [InlineData("9223372036854775808", "token 15 ('9223372036854775808') should be the machine 1 move cost [0], an integer")]
    [InlineData("7x", "token 15 ('7x') should be the machine 1 move cost [0], an integer")]
    [InlineData("x", "token 15 ('x') should be the machine 1 move cost [0], an integer")]
    public void Tokens_ARowElementThatIsNoNonNegativeInteger_IsRefusedNamingTheElement(string token, string message)
    {
        var e = Assert.Throws<RoadefFormatException>(() => RoadefFiles.ParseModel(string.Format(CultureInfo.InvariantCulture, TinyModel, token), "m.txt"));
        Assert.Equal($"m.txt: {message}", e.Message);
    }

    [Fact]
    public void Solution_RoundTripsThroughTheAssignmentFormat()
    {
        var (instance, initial) = RoadefData.Load("a2_1");
        Assert.Equal(initial, RoadefFiles.ParseAssignment(RoadefFiles.FormatSolution(initial), instance));
    }

    private static (int A, int B) TwoOfOneService(RoadefInstance instance)
    {
        var first = new Dictionary<int, int>();
        for (int p = 0; p < instance.Processes.Length; p++)
        {
            if (!first.TryAdd(instance.Processes[p].Service, p))
            {
                return (first[instance.Processes[p].Service], p);
            }
        }

        throw new InvalidOperationException("no service with two processes");
    }
}
