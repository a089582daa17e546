using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;
using Shardcast.Kernels.Search.Exact;

namespace Shardcast.Kernels.Tests.Search.Exact;

/// <summary>
/// Exact node sets through CBC: the program of a node set finds the best division of its members that every division
/// tried by hand confirms, with every extended term and constraint on; the rounds keep the plan exact and feasible;
/// and the exact lane of ruin and recreate keeps a step budget's plan independent of the thread count.
/// </summary>
public class NodeSetRepackTests
{
    [CbcTheory]
    [InlineData(3UL)]
    [InlineData(8UL)]
    [InlineData(5UL)]
    public void Solve_FindsTheBestDivisionOfTwoNodes_ThatEveryDivisionTriedByHandConfirms(ulong seed)
    {
        var problem = RandomProblems.Linear(seed, partitions: 30, nodes: 6);
        var start = RandomProblems.FeasibleStart(problem);
        int improvedPairs = 0;
        for (int a = 0; a < problem.Nodes; a++)
        {
            for (int b = a + 1; b < problem.Nodes; b++)
            {
                var state = new SearchState(problem);
                state.Reset(start);
                double best = BestDivisionByHand(problem, start, a, b);
                double before = state.Breakdown().Energy;

                bool kept = new NodeSetRepack(state).Solve([a, b], seconds: null);

                var after = state.Breakdown();
                Assert.Equal(0, after.Violations);
                Assert.Equal(after.Energy, state.Energy);
                double tolerance = SearchState.FloatNoise(before) + (1e-9 * Math.Abs(before));
                Assert.True(Math.Abs(after.Energy - best) <= tolerance, $"nodes {a} and {b}: the program left {after.Energy}, the best division by hand is {best}");
                improvedPairs += kept ? 1 : 0;
            }
        }

        Assert.True(improvedPairs > 0, "no pair's division improved, so the comparison shows little");
    }

    [CbcFact]
    public void Run_LowersTheEnergy_AndLeavesAnExactFeasiblePlan()
    {
        var problem = RandomProblems.Linear(7, partitions: 120, nodes: 10);
        var start = RandomProblems.FeasibleStart(problem);
        var state = new SearchState(problem);
        state.Reset(start);
        var before = state.Breakdown();
        var rng = new CounterRng(7, 1);

        var (sets, improved) = new NodeSetRepack(state).Run(ref rng, setLimit: 40, () => null, () => false);

        Assert.Equal(40, sets);
        Assert.True(improved > 0);
        var after = state.Breakdown();
        Assert.Equal(0, after.Violations);
        Assert.Equal(after.Energy, state.Energy);
        Assert.True(after.Energy < before.Energy, $"{after.Energy} from {before.Energy}");
        for (int p = 0; p < problem.Partitions; p++)
        {
            Assert.True(problem.IsAllowed(p, state.Assignment[p]) || state.Assignment[p] == start[p], $"partition {p} left its node set");
        }
    }

    [CbcFact]
    public void ExactLane_UnderARoundBudget_GivesTheSamePlanWhateverTheThreadCount_AndSolvesSets()
    {
        var problem = RandomProblems.Linear(6, partitions: 90, nodes: 8);
        var start = RandomProblems.FeasibleStart(problem);
        var reference = new SearchState(problem);
        reference.Reset(start);
        double startEnergy = reference.Breakdown().Energy;

        (int[] Plan, long Sets) Run(int threads)
        {
            var lanes = new RuinLanes(problem, new SearchState(problem), start, lanes: 2, seed: 6, threads, roundsPerLeg: 3_000, exactLane: true);
            var (best, _, _) = lanes.Run(roundLimit: 24_000, _ => false);
            Assert.Equal(best.Breakdown().Energy, best.Energy);
            Assert.True(best.Energy < startEnergy);
            return (best.Assignment.ToArray(), lanes.ExactSets);
        }

        var (one, sets) = Run(1);
        Assert.True(sets > 0, "the exact lane solved no set");
        Assert.Equal(one, Run(2).Plan);
    }

    [CbcFact]
    public void Model_WrittenAsMps_IsSolvedToItsKnownOptimum_WithRangesFreeColumnsAndLowerSides()
    {
        // min x0 + 2 x1 + 3 x2 + 0.5 y - z  with x binary, y in [1.5, 2.5], z free above -4 and at most 3:
        // x0 + x1 + x2 >= 2 (G), 1 <= x0 + y <= 3.25 (range), z - y <= 0.75 (L), x1 + x2 = 1 (E).
        // Optimum: x0 = 1, x1 = 1, x2 = 0 (cover and equality at least cost); y rises from 1.5 while z = y + 0.75 pays
        // for it, until z meets its bound 3 at y = 2.25, where x0 + y meets the range's upper side 3.25:
        // 1 + 2 + 1.125 - 3 = 1.125.
        var model = new LinearModel();
        int x0 = model.AddBinary(1), x1 = model.AddBinary(2), x2 = model.AddBinary(3);
        int y = model.AddContinuous(1.5, 2.5, 0.5);
        int z = model.AddContinuous(double.NegativeInfinity, 3, -1);
        int cover = model.AddRow(2, double.PositiveInfinity);
        model.Add(cover, x0, 1);
        model.Add(cover, x1, 1);
        model.Add(cover, x2, 1);
        int range = model.AddRow(1, 3.25);
        model.Add(range, x0, 1);
        model.Add(range, y, 1);
        int upper = model.AddRow(double.NegativeInfinity, 0.75);
        model.Add(upper, z, 1);
        model.Add(upper, y, -1);
        int equal = model.AddRow(1, 1);
        model.Add(equal, x1, 1);
        model.Add(equal, x2, 1);
        var solver = CbcCommand.Default!;

        var solution = solver.Solve(model, start: [0, 1, 1], seconds: 10, nodes: 100);

        Assert.NotNull(solution);
        Assert.Equal([1, 1, 0, 2.25, 3], solution.Select(v => Math.Round(v, 9)));
        Assert.True(solver.Solved > 0);
    }

    [Fact]
    public void Solver_ThatAborts_LosesOneNodeSet_SaysWhy_AndLeavesThePlanAsItWas()
    {
        using var fake = new FakeSolver("kill -ABRT $$");
        var solver = new CbcCommand(fake.Path);

        var (kept, state, start) = SolveOnePair(solver);

        Assert.False(kept);
        Assert.Equal(start, state.Assignment);
        Assert.Equal(1, solver.Failed);
        Assert.Equal(0, solver.Solved);
        Assert.Contains("exited with code 134", solver.LastFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void Solver_ThatHangs_IsKilledPastItsLimit_AndTheNodeSetIsLost()
    {
        using var fake = new FakeSolver("exec sleep 60");
        var solver = new CbcCommand(fake.Path);
        var problem = RandomProblems.Linear(3, partitions: 30, nodes: 6);
        var state = new SearchState(problem);
        state.Reset(RandomProblems.FeasibleStart(problem));

        bool kept = new NodeSetRepack(state, solver).Solve([0, 1], seconds: 0.1);

        Assert.False(kept);
        Assert.Equal(1, solver.Failed);
        Assert.Contains("was killed", solver.LastFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void Solver_ThatWritesNoAnswer_IsRefused_WithTheLineItWrote()
    {
        using var fake = new FakeSolver("""
            while [ $# -gt 0 ]; do
              if [ "$1" = "-solution" ]; then printf 'Optimal - objective value 1\n   0 C0 one 0\n' > "$2"; fi
              shift
            done
            """);
        var solver = new CbcCommand(fake.Path);

        var (kept, state, start) = SolveOnePair(solver);

        Assert.False(kept);
        Assert.Equal(start, state.Assignment);
        Assert.Equal(1, solver.Failed);
        Assert.Contains("line 2 is not 'index name value'", solver.LastFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void SolutionFile_WithInfeasibleOrNoIntegerStatus_MeansNoPoint_NotAFailure()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "Stopped on time (no integer solution - continuous used) - objective value 3.5\n      0 C0  0.5  1\n");
            Assert.Equal((null, null), CbcCommand.ReadSolution(path, 2));
            File.WriteAllText(path, "Infeasible - objective value 0\n");
            Assert.Equal((null, null), CbcCommand.ReadSolution(path, 2));
            File.WriteAllText(path, "Stopped on nodes - objective value 4\n      1 C1  1  2\n**    0 C0  1e-12  1\n");
            var (values, why) = CbcCommand.ReadSolution(path, 2);
            Assert.Null(why);
            Assert.Equal([1e-12, 1], values!);
            File.WriteAllText(path, "Optimal - objective value 4\n      7 C7  1  2\n");
            Assert.Contains("names column 7 of 2", CbcCommand.ReadSolution(path, 2).Why, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The first improvable pair of a small linear problem, solved once with <paramref name="solver"/>.</summary>
    private static (bool Kept, SearchState State, int[] Start) SolveOnePair(CbcCommand solver)
    {
        var problem = RandomProblems.Linear(3, partitions: 30, nodes: 6);
        var start = RandomProblems.FeasibleStart(problem);
        var state = new SearchState(problem);
        state.Reset(start);
        bool kept = new NodeSetRepack(state, solver).Solve([0, 1], seconds: 5);
        return (kept, state, start);
    }

    /// <summary>An executable shell script standing in for cbc, with <paramref name="Body"/> as its behaviour; deleted on dispose.</summary>
    private sealed record FakeSolver(string Body) : IDisposable
    {
        public string Path { get; } = Create(Body);

        public void Dispose() => File.Delete(Path);

        private static string Create(string body)
        {
            string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fake-cbc-{Guid.NewGuid():N}.sh");
            File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            return path;
        }
    }

    [Fact]
    public void Applies_OnlyWhereTheCostIsLinear_WithHardCapacity()
    {
        Assert.True(NodeSetRepack.Applies(RandomProblems.Linear(2, partitions: 40, nodes: 6)));
        Assert.False(NodeSetRepack.Applies(RandomProblems.Tight(2, partitions: 40, nodes: 6)), "native balance is quadratic");
        Assert.False(NodeSetRepack.Applies(RandomProblems.Create(2)), "capacity is soft");
        Assert.True(CbcCommand.Default is not null || CbcCommand.Unavailable!.Contains("coinor-cbc", StringComparison.Ordinal), CbcCommand.Unavailable);
    }

    /// <summary>The lowest exact energy over every division of a's and b's members between them that breaks nothing.</summary>
    private static double BestDivisionByHand(FlatProblem problem, int[] start, int a, int b)
    {
        var members = Enumerable.Range(0, problem.Partitions).Where(p => start[p] == a || start[p] == b).ToArray();
        Assert.InRange(members.Length, 2, 16);
        var state = new SearchState(problem);
        var plan = start.ToArray();
        double best = double.PositiveInfinity;
        for (int mask = 0; mask < 1 << members.Length; mask++)
        {
            bool allowed = true;
            for (int m = 0; m < members.Length; m++)
            {
                int p = members[m];
                plan[p] = (mask & (1 << m)) != 0 ? b : a;
                allowed &= plan[p] == start[p] || (!problem.Pinned[p] && problem.IsAllowed(p, plan[p]));
            }

            if (!allowed)
            {
                continue;
            }

            state.Reset(plan);
            var cost = state.Breakdown();
            if (cost.Violations == 0)
            {
                best = Math.Min(best, cost.Energy);
            }
        }

        return best;
    }
}

/// <summary>Where COIN-OR CBC loads, or where CI requires it (SHARDCAST_REQUIRE_CBC=1); otherwise skipped with the reason.</summary>
public sealed class CbcFactAttribute : FactAttribute
{
    public CbcFactAttribute()
    {
        if (CbcRequirement.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <inheritdoc cref="CbcFactAttribute"/>
public sealed class CbcTheoryAttribute : TheoryAttribute
{
    public CbcTheoryAttribute()
    {
        if (CbcRequirement.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

internal static class CbcRequirement
{
    public static string? SkipReason =>
        CbcCommand.Default is not null || Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_CBC") == "1" ? null : CbcCommand.Unavailable;
}
