using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Cuda;

/// <summary>
/// The kernel source as PTX for a device's compute capability: from the on-disk cache (keyed by the source hash
/// and the virtual architecture) or compiled by NVRTC and cached. Needs no driver and no device, so the compile
/// path is exercised wherever NVRTC is installed, with or without a GPU.
/// </summary>
internal static class CudaPtx
{
    /// <summary>The folder a process caches PTX in: ~/.cache/shardcast/cuda.</summary>
    public static string DefaultCacheFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "shardcast", "cuda");

    /// <summary>
    /// The virtual architectures tried for a device, in order: its own, then the older ones an older NVRTC may be
    /// limited to (PTX is forward compatible, so the driver runs an older architecture's PTX on a newer GPU).
    /// </summary>
    public static IReadOnlyList<int> ArchitecturesFor(int capability) =>
        [.. new[] { capability, 90, 80, 70 }.Where(a => a <= capability).Distinct()];

    /// <summary>No contraction into FMA, so float results group as on the CPU and as OpenCL's FP_CONTRACT OFF.</summary>
    public static string[] Options(int architecture) => [$"--gpu-architecture=compute_{architecture}", "--fmad=false"];

    /// <summary>
    /// The PTX of <see cref="KernelSource.Text"/> for a device of the given capability (major x 10 + minor), and
    /// how it was obtained (the cache file, or the NVRTC library and options). An architecture NVRTC does not know
    /// is passed over for the next; a compile error carries NVRTC's log.
    /// </summary>
    public static (byte[] Ptx, string CompiledWith) Obtain(int capability, string cacheFolder)
    {
        var failures = new List<string>();
        Nvrtc? nvrtc = null;
        foreach (int architecture in ArchitecturesFor(capability))
        {
            string cached = CachePath(cacheFolder, $"compute_{architecture}");
            if (File.Exists(cached))
            {
                return (File.ReadAllBytes(cached), "PTX cache " + cached);
            }

            nvrtc ??= Nvrtc.Load();
            string[] options = Options(architecture);
            try
            {
                byte[] ptx = nvrtc.CompileToPtx(KernelSource.Text, "shardcast.cu", options);
                TryWrite(cacheFolder, cached, ptx);
                return (ptx, $"NVRTC {nvrtc.Path} {string.Join(' ', options)}");
            }
            catch (NativeCallException e) when (e.Message.Contains("INVALID_OPTION", StringComparison.Ordinal))
            {
                failures.Add(e.Message);
            }
        }

        throw new NativeCallException("NVRTC accepted none of the architectures tried: " + string.Join("; ", failures));
    }

    /// <summary>Puts PTX compiled elsewhere into the cache; the path, or null where the cache cannot be written.</summary>
    public static string? Keep(string cacheFolder, string virtualArchitecture, byte[] ptx)
    {
        string path = CachePath(cacheFolder, virtualArchitecture);
        return TryWrite(cacheFolder, path, ptx) ? path : null;
    }

    private static string CachePath(string cacheFolder, string virtualArchitecture) =>
        Path.Combine(cacheFolder, $"{KernelSource.Hash[..16]}-{virtualArchitecture}.ptx");

    private static bool TryWrite(string folder, string path, byte[] ptx)
    {
        try
        {
            Directory.CreateDirectory(folder);
            string temporary = path + $".{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temporary, ptx);
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (IOException)
        {
            // A cache that cannot be written costs the next process a compile, nothing more.
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
