using Shardcast.Kernels.Devices;
using Shardcast.Kernels.OpenCl;
using Shardcast.Kernels.Search;

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
    public void Annealing_MatchesTheManagedBackend_FromTheSameSeed() => CheckAnnealingMatchesTheManagedBackend();

    [OpenClFact]
    public void Annealing_NeverBreaksAHardConstraint() => CheckAnnealingNeverBreaksAHardConstraint();

    [OpenClFact]
    public void TheSameSeed_GivesTheSamePlan() => CheckTheSameSeedGivesTheSamePlan();
}

/// <summary>A fact that runs where an OpenCL device compiles the kernel source, or where CI requires one.</summary>
public sealed class OpenClFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_OPENCL") == "1")
        {
            return null;
        }

        try
        {
            _ = OpenClBackend.DeviceName;
            return null;
        }
        catch (NativeCallException e)
        {
            return "no OpenCL device: " + e.Message;
        }
    });

    public OpenClFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
