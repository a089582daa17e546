using Shardcast.Kernels;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Tests.Backends;

public sealed class ManagedConformanceTests : BackendConformance
{
    protected override ISearchBackend CreateBackend() => new ManagedBackend();

    [Fact]
    public void BatchCosts_AgreeWithTheDoubleReference() => CheckBatchCostsAgreeWithTheReference();

    [Fact]
    public void ExtendedBatchCosts_AgreeWithTheDoubleReference() => CheckExtendedBatchCostsAgreeWithTheReference();

    [Fact]
    public void Annealing_NeverBreaksAHardConstraint() => CheckAnnealingNeverBreaksAHardConstraint();

    [Fact]
    public void TheSameSeed_GivesTheSamePlan() => CheckTheSameSeedGivesTheSamePlan();

    [Fact]
    public void ALargeCluster_KeepsTheConstraints() => CheckALargeClusterKeepsTheConstraints();

    [Fact]
    public void DegenerateProblems_ReturnTheirOnlyPlan() => CheckDegenerateProblemsReturnTheirOnlyPlan();

    /// <summary>The managed genetic algorithm would be its own yardstick: it is judged against the managed annealer and greedy.</summary>
    [Fact]
    public void Genetic_KeepsTheConstraints_AndMatchesTheAnnealersQuality() => CheckGeneticMatchesTheManagedBackend(yardstickIsManagedGenetic: false);
}
