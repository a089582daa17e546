using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;
using Shardcast.Kernels.Cuda;
using Shardcast.Kernels.Probes;
using Shardcast.Tests;

namespace Shardcast.Engine.Tests.Backends;

/// <summary>
/// The conformance suite on the CUDA backend (the same kernel source through NVRTC and the driver API). Skipped,
/// with the reason (no driver, no device, no NVRTC, named), where no GPU is present, except where
/// SHARDCAST_REQUIRE_CUDA=1 (set on the GPU machine, so there a missing piece fails instead).
/// </summary>
public sealed class CudaConformanceTests : BackendConformance
{
    protected override ISearchBackend CreateBackend() => new CudaBackend();

    [CudaFact]
    public void BatchCosts_AgreeWithTheDoubleReference() => CheckBatchCostsAgreeWithTheReference();

    [CudaFact]
    public void ExtendedBatchCosts_AgreeWithTheDoubleReference() => CheckExtendedBatchCostsAgreeWithTheReference();

    [CudaFact]
    public void Annealing_MatchesTheManagedBackend_FromTheSameSeed() => CheckAnnealingMatchesTheManagedBackend(identical: false);

    [CudaFact]
    public void ExtendedAnnealing_MatchesTheManagedBackend_AndIsFeasibleByTheRoadefChecker() => CheckExtendedAnnealingMatchesTheManagedBackend(identical: false);

    [CudaFact]
    public void Annealing_NeverBreaksAHardConstraint() => CheckAnnealingNeverBreaksAHardConstraint();

    [CudaFact]
    public void TheSameSeed_GivesTheSamePlan() => CheckTheSameSeedGivesTheSamePlan();

    [CudaFact]
    public void ALargeCluster_KeepsTheConstraints() => CheckALargeClusterKeepsTheConstraints();

    [CudaFact]
    public void DegenerateProblems_ReturnTheirOnlyPlan() => CheckDegenerateProblemsReturnTheirOnlyPlan();

    [CudaFact]
    public void Genetic_KeepsTheConstraints_AndMatchesTheManagedQuality() => CheckGeneticMatchesTheManagedBackend();

    /// <summary>The branch taken must be the machine's declared one (<see cref="MachineExpectations.CudaGpu"/>): on CI, the fallback.</summary>
    [Fact]
    public void NamingCuda_PlansOnTheGpu_OrFallsBackAndSaysWhy()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(200, 8, 4, 2, 5));
        var plan = Planner.Plan(spec, new PlanOptions { Backend = "cuda", StepsPerChain = 2_000, AdviseScaling = false });
        Assert.True(MachineExpectations.CudaGpu is not { } gpu || gpu == (plan.Search.Backend == "cuda"), $"declared GPU {MachineExpectations.CudaGpu}, searched on {plan.Search.Backend}: {plan.Search.Fallback?.Reason}");
        if (plan.Search.Backend == "cuda")
        {
            Assert.Null(plan.Search.Fallback);
        }
        else
        {
            Assert.Equal("managed", plan.Search.Backend);
            Assert.Equal("cuda", plan.Search.Fallback!.Requested);
            Assert.False(string.IsNullOrWhiteSpace(plan.Search.Fallback.Reason));
        }
    }
}

/// <summary>
/// A fact that runs where a CUDA GPU and NVRTC are found, or where the GPU machine requires one
/// (SHARDCAST_REQUIRE_CUDA=1). Read from the probe (driver, devices, NVRTC's library; nothing compiled), so the same
/// machine skips the same tests every run; a GPU whose kernel compile fails fails the tests instead of skipping them.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (MachineExpectations.CudaGpu == true)
        {
            return null;
        }

        var report = CudaProbe.Probe();
        return report.Searchable ? null : "no CUDA GPU: " + (report.Unavailable ?? report.Note);
    });

    public CudaFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
