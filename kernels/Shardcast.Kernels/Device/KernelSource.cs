using System.Security.Cryptography;
using System.Text;

namespace Shardcast.Kernels.Device;

/// <summary>
/// The one kernel source (Source/shardcast.cl), embedded in the assembly so a single-file build carries it, and its
/// SHA-256, the key compiled programs are cached under (with the device and the build options).
/// </summary>
internal static class KernelSource
{
    private static readonly Lazy<(string Text, string Hash)> Loaded = new(Load);

    public static string Text => Loaded.Value.Text;

    public static string Hash => Loaded.Value.Hash;

    public const string ResetKernel = "shardcast_reset";

    public const string AnnealKernel = "shardcast_anneal";

    public const string CrossoverKernel = "shardcast_crossover";

    public const string AdoptKernel = "shardcast_adopt";

    public const string SpreadKernel = "shardcast_spread";

    public const string MutateRepairKernel = "shardcast_mutate_repair";

    /// <summary>Every kernel the device backends bind.</summary>
    public static readonly IReadOnlyList<string> Kernels = [ResetKernel, AnnealKernel, CrossoverKernel, AdoptKernel, SpreadKernel, MutateRepairKernel];

    private static (string, string) Load()
    {
        using var stream = typeof(KernelSource).Assembly.GetManifestResourceStream("Shardcast.Kernels.Source.shardcast.cl")
            ?? throw new InvalidOperationException("The kernel source is not embedded in Shardcast.Kernels (Source/shardcast.cl).");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string text = reader.ReadToEnd();
        return (text, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))));
    }
}
