using System.Text;
using Shardcast.Kernels.Cuda;
using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

namespace Shardcast.Engine.Tests.Backends;

/// <summary>
/// The CUDA backend's compile path, which needs NVRTC but no GPU: the one kernel source through the real CUDA
/// compiler, the PTX cache, the architecture fallback and NVRTC's errors. Skipped, with the reason, where no NVRTC
/// loads, except where SHARDCAST_REQUIRE_NVRTC=1 (CI installs Debian's libnvrtc, so there it must run).
/// </summary>
public sealed class NvrtcCompileTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("shardcast-ptx-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [NvrtcFact]
    public void TheKernelSource_CompilesForAHopperGpu_DeclaresEveryKernel_AndIsCached()
    {
        var (ptx, compiledWith) = CudaPtx.Obtain(90, _cache);

        Assert.StartsWith("NVRTC ", compiledWith);
        Assert.Contains("--gpu-architecture=compute_90 --fmad=false", compiledWith);
        string text = Encoding.ASCII.GetString(ptx).TrimEnd('\0');
        Assert.Contains(".target sm_90", text);
        foreach (string kernel in KernelSource.Kernels)
        {
            Assert.Contains($".visible .entry {kernel}(", text);
        }

        // A second process finds the same PTX in the cache, without compiling.
        var (cached, cachedFrom) = CudaPtx.Obtain(90, _cache);
        Assert.StartsWith("PTX cache ", cachedFrom);
        Assert.Equal(ptx, cached);

        // A GPU newer than any NVRTC knows: its own architecture is refused as an invalid option, and the next
        // one tried (PTX runs forward on newer GPUs) comes from the cache.
        var (forward, forwardFrom) = CudaPtx.Obtain(1000, _cache);
        Assert.Contains("compute_90.ptx", forwardFrom);
        Assert.Equal(ptx, forward);
    }

    [NvrtcFact]
    public void ACompileError_IsRefused_NamingTheCallAndCarryingNvrtcsLog()
    {
        var nvrtc = Nvrtc.Load();
        const string broken = "extern \"C\" __global__ void broken_kernel(int* out) { out[0] = undeclared_value; }";

        var error = Assert.Throws<NativeCallException>(() => nvrtc.CompileToPtx(broken, "broken.cu", CudaPtx.Options(90)));

        Assert.Contains("nvrtcCompileProgram failed with NVRTC_ERROR_COMPILATION", error.Message);
        Assert.Contains("undeclared_value", error.Message);
        Assert.Contains(nvrtc.Path, error.Message);
    }

    [Fact]
    public void TheArchitecturesTried_StartAtTheDevicesOwn_AndNeverExceedIt()
    {
        Assert.Equal([90, 80, 70], CudaPtx.ArchitecturesFor(90));
        Assert.Equal([120, 90, 80, 70], CudaPtx.ArchitecturesFor(120));
        Assert.Equal([86, 80, 70], CudaPtx.ArchitecturesFor(86));
        Assert.Equal([75, 70], CudaPtx.ArchitecturesFor(75));
    }
}

/// <summary>A fact that runs where NVRTC loads (no GPU needed), or where SHARDCAST_REQUIRE_NVRTC=1 demands it.</summary>
public sealed class NvrtcFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_NVRTC") == "1")
        {
            return null;
        }

        try
        {
            _ = Nvrtc.Load();
            return null;
        }
        catch (NativeCallException e)
        {
            return e.Message;
        }
    });

    public NvrtcFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
