using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;
using Shardcast.Kernels.Cuda;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

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

    [Fact]
    public void NamingCuda_PlansOnTheGpu_OrFallsBackAndSaysWhy()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(200, 8, 4, 2, 5));
        var plan = Planner.Plan(spec, new PlanOptions { Backend = "cuda", StepsPerChain = 2_000, AdviseScaling = false });
        if (plan.Search.Backend == "cuda")
        {
            Assert.Null(plan.Search.Fallback);
        }
        else
        {
            Assert.Equal("managed", plan.Search.Backend);
            Assert.Equal("cuda", plan.Search.Fallback!.Requested);
            Assert.False(string.IsNullOrWhiteSpace(plan.Search.Fallback.Reason));
            Assert.False(Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_CUDA") == "1", "the GPU machine requires CUDA: " + plan.Search.Fallback.Reason);
        }
    }
}

/// <summary>A fact that runs where a CUDA GPU and NVRTC compile the kernel source, or where the GPU machine requires one.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_CUDA") == "1")
        {
            return null;
        }

        try
        {
            _ = CudaBackend.DeviceName;
            return null;
        }
        catch (NativeCallException e)
        {
            return "no CUDA GPU: " + e.Message;
        }
    });

    public CudaFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
