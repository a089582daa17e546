using Shardcast.Engine.Planning;
using Shardcast.Kernels.Probes;

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
        if (!gpu)
        {
            // CI's PoCL is a CPU device, which auto leaves to the managed backend: nothing to build.
            Assert.Equal("managed", prepared);
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
