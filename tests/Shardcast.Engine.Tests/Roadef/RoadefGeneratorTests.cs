using Shardcast.Engine.Planning;
using Shardcast.Engine.Roadef;

namespace Shardcast.Engine.Tests.Roadef;

/// <summary>
/// Generated instances in the challenge's shape: the initial assignment breaks no hard constraint by the exact
/// checker, the files round-trip through the challenge's reader, the same seed gives the same files, and the
/// solver improves them without breaking anything.
/// </summary>
public class RoadefGeneratorTests
{
    private static readonly RoadefGeneratorOptions Small = new(Processes: 600, Machines: 24, Resources: 4, TransientResources: 2, Neighborhoods: 3, Locations: 4, MultiServices: 80, MaxServiceSize: 8, Dependencies: 300, Balances: 1, Seed: 7);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void InitialAssignment_IsFeasible_AndLeavesLoadCost(int seed)
    {
        var generated = RoadefGenerator.Generate(Small with { Seed = seed });
        var judgement = RoadefChecker.Evaluate(generated.Instance, generated.Initial, generated.Initial);

        Assert.True(judgement.Feasible, string.Join("; ", judgement.Violations.Select(v => v.Detail)));
        Assert.True(judgement.LoadCost > 0, "the start should leave machines above their safety capacity");
        Assert.Equal(Small.Processes, generated.Instance.Processes.Length);
        Assert.Equal(Small.Machines, generated.Instance.Machines.Length);
        Assert.Equal(2, generated.Instance.Resources.Count(r => r.Transient));
        Assert.Equal(Small.Neighborhoods, generated.Instance.Neighborhoods);
        Assert.Equal(Small.Locations, generated.Instance.Locations);
        Assert.Equal(Small.MultiServices, generated.Instance.Services.Where((_, s) => generated.Instance.Processes.Count(p => p.Service == s) > 1).Count());
        Assert.InRange(generated.Instance.Services.Sum(s => s.DependsOn.Length), 1, Small.Dependencies);
        Assert.Contains(generated.Instance.Services, s => s.SpreadMin > 1);
    }

    [Fact]
    public void Files_RoundTripThroughTheReader_AndTheSameSeedGivesTheSameFiles()
    {
        string First()
        {
            var writer = new StringWriter();
            RoadefFiles.WriteModel(RoadefGenerator.Generate(Small).Instance, writer);
            return writer.ToString();
        }

        string text = First();
        Assert.Equal(text, First());

        var generated = RoadefGenerator.Generate(Small);
        var parsed = RoadefFiles.ParseModel(text);
        var initial = RoadefFiles.ParseAssignment(RoadefFiles.FormatSolution(generated.Initial), parsed);
        Assert.Equal(generated.Initial, initial);
        Assert.Equal(
            RoadefChecker.Evaluate(generated.Instance, generated.Initial, generated.Initial).Objective,
            RoadefChecker.Evaluate(parsed, initial, initial).Objective);
        var rewritten = new StringWriter();
        RoadefFiles.WriteModel(parsed, rewritten);
        Assert.Equal(text, rewritten.ToString());
        Assert.NotEqual(text, WithSeed(8));
    }

    [Fact]
    public void Solver_ImprovesAGeneratedInstance_Feasibly()
    {
        var generated = RoadefGenerator.Generate(Small);
        var solution = RoadefSolver.Solve(generated.Instance, generated.Initial, new PlanOptions { StepsPerChain = 20_000, Threads = 1, Seed = 3 });

        Assert.Null(solution.Note);
        Assert.True(solution.Final.Feasible);
        Assert.True(solution.Final.Objective < solution.Initial.Objective * 0.9, $"{solution.Final.Objective} against {solution.Initial.Objective}");
        // Final is the exact checker's; the engine's double-precision reference on the mapped cluster is the other judge.
        var engine = ReferenceCost.Evaluate(PlanningInput.From(RoadefMapping.ToCluster(generated.Instance, generated.Initial)), solution.Assignment).Cost;
        Assert.Equal(0, engine.Violations);
        Assert.Equal(solution.Final.Objective, engine.Total, 1e-6 * solution.Final.Objective);
    }

    [Theory]
    [InlineData(0, 10, "processes")]
    [InlineData(100, 1, "machines")]
    [InlineData(100, 10, "resources", 13)]
    [InlineData(100, 10, "services of two or more", 3, 60)]
    public void BadOptions_AreRefused_NamingWhatIsWrong(int processes, int machines, string named, int resources = 3, int multiServices = 10)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RoadefGenerator.Generate(new RoadefGeneratorOptions(processes, machines, Resources: resources, MultiServices: multiServices)));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    private static string WithSeed(int seed)
    {
        var writer = new StringWriter();
        RoadefFiles.WriteModel(RoadefGenerator.Generate(Small with { Seed = seed }).Instance, writer);
        return writer.ToString();
    }
}
