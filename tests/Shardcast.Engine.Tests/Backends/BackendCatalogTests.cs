using Shardcast.Engine.Planning;
using Shardcast.Kernels.Probes;
using Shardcast.Tests;

namespace Shardcast.Engine.Tests.Backends;

/// <summary>How a backend name becomes a search backend, and what a server prepares before its first request.</summary>
public sealed class BackendCatalogTests
{
    [Fact]
    public void Prepare_BuildsTheBackendThatAutoSearchesOn()
    {
        string prepared = BackendCatalog.Prepare();

        Assert.Equal(BackendCatalog.Resolve("auto").Name, prepared);
        bool gpu = DeviceCatalog.Probe().Any(r => r.Name != "managed" && r.Searchable && r.Devices.Any(d => d.Kind == "gpu"));
        switch (MachineExpectations.CudaGpu)
        {
            case true:
                // The GPU machine: auto searches on CUDA, so the server builds it before its first request.
                Assert.Equal("cuda", prepared);
                break;
            case false:
                // CI: no GPU of any kind; its PoCL is a CPU device, which auto leaves to the managed backend.
                Assert.False(gpu);
                Assert.Equal("managed", prepared);
                break;
            default:
                // Undeclared: whichever the machine has, auto and the prepared backend agree (checked above).
                Assert.True(gpu || prepared == "managed", $"no GPU, yet {prepared} was prepared");
                break;
        }
    }

    [Fact]
    public void AnUnknownName_IsRefusedWithTheNamesKnown()
    {
        var error = Assert.Throws<PlanningException>(() => BackendCatalog.Resolve("tpu"));

        Assert.Contains("unknown backend 'tpu'", error.Message);
        Assert.Contains("auto, managed, opencl, cuda", error.Message);
    }
}
