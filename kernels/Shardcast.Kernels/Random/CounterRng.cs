using System.Runtime.CompilerServices;

namespace Shardcast.Kernels.Random;

/// <summary>
/// Counter-based random numbers: draw i of stream k is a pure function of (seed, k, i), so a chain can be
/// replayed, split across devices, or run by a kernel and give the same numbers. The mixer is SplitMix64's
/// finaliser, chosen because it is two multiplies and three shifts in any language, OpenCL C included.
/// </summary>
public struct CounterRng
{
    private readonly ulong _key;
    private ulong _counter;

    public CounterRng(ulong seed, ulong stream, ulong counter = 0)
    {
        _key = KeyOf(seed, stream);
        _counter = counter;
    }

    /// <summary>The key of stream k under a seed; a kernel keeps (key, counter) per chain and draws as <see cref="NextUInt64"/> does.</summary>
    public static ulong KeyOf(ulong seed, ulong stream) => Mix(seed ^ Mix(stream + 0x632BE59BD9B4E019UL));

    public readonly ulong Counter => _counter;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64() => Mix(_key + (++_counter * 0x9E3779B97F4A7C15UL));

    /// <summary>Uniform in [0, bound) by the multiply-shift method (bias below 2^-32 for any bound here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int bound) => (int)(((NextUInt64() >> 32) * (ulong)(uint)bound) >> 32);

    /// <summary>Uniform in [0, 1) with 24 bits, the precision a float32 kernel draws.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
