using Shardcast.Kernels;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.OpenCl;
using Shardcast.Kernels.Probes;
using Shardcast.Tests;

namespace Shardcast.Engine.Tests.Backends;

/// <summary>
/// The conformance suite on the OpenCL backend (PoCL on the CPU where there is no GPU). Skipped, with the reason,
/// where no OpenCL device is found, except where SHARDCAST_REQUIRE_OPENCL=1 (CI installs PoCL and sets it).
/// </summary>
public sealed class OpenClConformanceTests : BackendConformance
{
    protected override ISearchBackend CreateBackend() => new OpenClBackend();

    [OpenClFact]
    public void BatchCosts_AgreeWithTheDoubleReference() => CheckBatchCostsAgreeWithTheReference();

    [OpenClFact]
    public void ExtendedBatchCosts_AgreeWithTheDoubleReference() => CheckExtendedBatchCostsAgreeWithTheReference();

    [OpenClFact]
    public void Annealing_MatchesTheManagedBackend_FromTheSameSeed() =>
        CheckAnnealingMatchesTheManagedBackend(identical: !OpenClBackend.DeviceIsGpu && System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated);

    [OpenClFact]
    public void ExtendedAnnealing_MatchesTheManagedBackend_AndIsFeasibleByTheRoadefChecker() =>
        CheckExtendedAnnealingMatchesTheManagedBackend(identical: !OpenClBackend.DeviceIsGpu && System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated);

    [OpenClFact]
    public void Annealing_NeverBreaksAHardConstraint() => CheckAnnealingNeverBreaksAHardConstraint();

    [OpenClFact]
    public void TheSameSeed_GivesTheSamePlan() => CheckTheSameSeedGivesTheSamePlan();

    [OpenClFact]
    public void ALargeCluster_KeepsTheConstraints() => CheckALargeClusterKeepsTheConstraints();

    [OpenClFact]
    public void DegenerateProblems_ReturnTheirOnlyPlan() => CheckDegenerateProblemsReturnTheirOnlyPlan();

    [OpenClFact]
    public void Genetic_KeepsTheConstraints_AndMatchesTheManagedQuality() => CheckGeneticMatchesTheManagedBackend();
}

/// <summary>
/// A fact that runs where an OpenCL device is found, or where CI requires one. Whether a device is there is read from
/// the probe (platforms and devices, nothing compiled), so the same machine skips the same tests every run; a device
/// that is there but fails to compile the kernel source fails the tests instead of skipping them.
/// </summary>
public sealed class OpenClFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (MachineExpectations.OpenCl == true)
        {
            return null;
        }

        var report = OpenClProbe.Probe();
        return report.Searchable ? null : "no OpenCL device: " + report.Unavailable;
    });

    public OpenClFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>Fallback from a device backend to the managed one: the plan still comes, and says which backend was asked for and why it did not search.</summary>
public sealed class DeviceFallbackTests
{
    private static SearchOptions Steps => new() { TimeBudget = null, MaxStepsPerChain = 5_000, StepsPerEpoch = 1_000, Seed = 2, Chains = 2 };

    [OpenClFact]
    public void ADeviceFailureMidRun_FallsBackToManaged_AndTheResultSaysWhy()
    {
        var input = Shardcast.Engine.Planning.PlanningInput.From(Shardcast.Engine.Generation.ClusterGenerator.Generate(new Shardcast.Engine.Generation.GeneratorOptions(300, 12, 4, 2, 3)));
        var problem = Shardcast.Engine.Planning.ProblemBuilder.Build(input);
        int epochs = 0;
        var failing = new OpenClBackend
        {
            FaultInjection = point =>
            {
                if (point == "epoch" && ++epochs == 3)
                {
                    throw new NativeCallException("clEnqueueNDRangeKernel(shardcast_anneal) failed with CL_OUT_OF_RESOURCES (-5)");
                }
            },
        };
        var backend = new FallbackBackend(failing, new ManagedBackend());
        var result = backend.Search(problem, input.Initial.ToArray(), Steps);
        Assert.Equal(3, epochs);
        Assert.Equal("managed", result.Backend);
        Assert.NotNull(result.Fallback);
        Assert.Equal("opencl", result.Fallback.Requested);
        Assert.Contains("CL_OUT_OF_RESOURCES", result.Fallback.Reason, StringComparison.Ordinal);
        var managed = new ManagedBackend().Search(problem, input.Initial.ToArray(), Steps);
        Assert.Equal(managed.Assignment, result.Assignment);
    }

    [Fact]
    public void TheGreedyBaseline_IsSearchedByManaged_AndThePlanFileSaysWhy()
    {
        var spec = Shardcast.Engine.Generation.ClusterGenerator.Generate(new Shardcast.Engine.Generation.GeneratorOptions(200, 8, 4, 2, 5));
        var plan = Shardcast.Engine.Planning.Planner.Plan(spec, new Shardcast.Engine.Planning.PlanOptions { Backend = "opencl", Algorithm = SearchAlgorithm.Greedy, TimeMs = 300, AdviseScaling = false });
        Assert.Equal("managed", plan.Search.Backend);
        Assert.NotNull(plan.Search.Fallback);
        using var json = System.Text.Json.JsonDocument.Parse(Shardcast.Engine.Planning.PlanFileWriter.ToJson(plan));
        var fallback = json.RootElement.GetProperty("backend_fallback");
        Assert.Equal("opencl", fallback.GetProperty("requested").GetString());
        Assert.StartsWith("the greedy baseline", fallback.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
