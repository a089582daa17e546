using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;

namespace Shardcast.Kernels.Cuda;

/// <summary>
/// What NVRTC made of the kernel source for one compute capability, without a driver or a device: the PTX's
/// target, the kernels it declares against those the backends bind, its size and how long the compile took.
/// </summary>
public sealed record CudaCompileCheck(string CompiledWith, string Target, IReadOnlyList<string> Declared, IReadOnlyList<string> Missing, int PtxBytes, TimeSpan Elapsed, string? CachedAt)
{
    /// <summary>
    /// Compiles afresh (into a temporary cache, so nothing a previous process left answers for NVRTC), then leaves
    /// complete PTX in <see cref="CudaPtx.DefaultCacheFolder"/>, where the runtime would have put it (and where
    /// `ptxas` can read it). Throws <see cref="Devices.NativeCallException"/> where no NVRTC loads or the source
    /// does not compile.
    /// </summary>
    public static CudaCompileCheck Run(int capability)
    {
        string cache = Directory.CreateTempSubdirectory("shardcast-ptx-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            var (ptx, compiledWith) = CudaPtx.Obtain(capability, cache);
            clock.Stop();
            string text = Encoding.ASCII.GetString(ptx).TrimEnd('\0');
            string target = Regex.Match(text, @"^\.target\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;
            var declared = Regex.Matches(text, @"^\.visible\s+\.entry\s+(\w+)\(", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
            string[] missing = [.. KernelSource.Kernels.Except(declared)];
            string? cachedAt = missing.Length == 0 ? CudaPtx.Keep(CudaPtx.DefaultCacheFolder, target.Replace("sm_", "compute_", StringComparison.Ordinal), ptx) : null;
            return new CudaCompileCheck(compiledWith, target, declared, missing, ptx.Length, clock.Elapsed, cachedAt);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
