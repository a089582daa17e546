using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Shardcast.Kernels.Managed;

/// <summary>
/// The per-node part of the cost, the only O(H*R) work in a move. For one node row of loads l and a change
/// s*d, the delta of  w_bal*(l-T)^2/c + w_over*max(0,l-theta*c)^2/c + penalty*max(0,l-c)  summed over lanes.
/// </summary>
internal static class NodeTerms
{
    /// <summary>The obvious loop: the reference the vector paths are tested against.</summary>
    public static float DeltaScalar(
        ReadOnlySpan<float> load, ReadOnlySpan<float> change, float sign,
        ReadOnlySpan<float> capacity, ReadOnlySpan<float> inverseCapacity, ReadOnlySpan<float> target, ReadOnlySpan<float> headroom,
        float wBalance, float wHeadroom, float penalty)
    {
        float sum = 0;
        for (int k = 0; k < load.Length; k++)
        {
            float before = load[k];
            float after = before + (sign * change[k]);
            float balance = ((after - target[k]) * (after - target[k])) - ((before - target[k]) * (before - target[k]));
            float overAfter = MathF.Max(0, after - headroom[k]);
            float overBefore = MathF.Max(0, before - headroom[k]);
            float headroomTerm = (overAfter * overAfter) - (overBefore * overBefore);
            float overload = MathF.Max(0, after - capacity[k]) - MathF.Max(0, before - capacity[k]);
            sum += (((wBalance * balance) + (wHeadroom * headroomTerm)) * inverseCapacity[k]) + (penalty * overload);
        }

        return sum;
    }

    /// <summary>
    /// Vector ladder: 256-bit (8 floats, one H*R row of 12x2 is three of them), then 128-bit, then scalar.
    /// Rows are padded to a multiple of 8 lanes, so on AVX2 hardware the tail never runs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Delta(
        ReadOnlySpan<float> load, ReadOnlySpan<float> change, float sign,
        ReadOnlySpan<float> capacity, ReadOnlySpan<float> inverseCapacity, ReadOnlySpan<float> target, ReadOnlySpan<float> headroom,
        float wBalance, float wHeadroom, float penalty)
    {
        int n = load.Length;
        int k = 0;
        float sum = 0;
        ref float l0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(load);
        ref float d0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(change);
        ref float c0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(capacity);
        ref float i0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(inverseCapacity);
        ref float t0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(target);
        ref float h0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(headroom);
        if (load.Length > change.Length || load.Length > capacity.Length || load.Length > inverseCapacity.Length
            || load.Length > target.Length || load.Length > headroom.Length)
        {
            throw new ArgumentException("Every row must be as long as the load row.");
        }

        if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            var vs = Vector256.Create(sign);
            var vb = Vector256.Create(wBalance);
            var vh = Vector256.Create(wHeadroom);
            var vp = Vector256.Create(penalty);
            for (; k <= n - Vector256<float>.Count; k += Vector256<float>.Count)
            {
                var before = Vector256.LoadUnsafe(ref l0, (nuint)k);
                var after = before + (vs * Vector256.LoadUnsafe(ref d0, (nuint)k));
                var t = Vector256.LoadUnsafe(ref t0, (nuint)k);
                var ea = after - t;
                var eb = before - t;
                var h = Vector256.LoadUnsafe(ref h0, (nuint)k);
                var oa = Vector256.Max(Vector256<float>.Zero, after - h);
                var ob = Vector256.Max(Vector256<float>.Zero, before - h);
                var c = Vector256.LoadUnsafe(ref c0, (nuint)k);
                var over = Vector256.Max(Vector256<float>.Zero, after - c) - Vector256.Max(Vector256<float>.Zero, before - c);
                var quad = (vb * ((ea * ea) - (eb * eb))) + (vh * ((oa * oa) - (ob * ob)));
                acc += (quad * Vector256.LoadUnsafe(ref i0, (nuint)k)) + (vp * over);
            }

            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= Vector128<float>.Count)
        {
            var acc = Vector128<float>.Zero;
            var vs = Vector128.Create(sign);
            var vb = Vector128.Create(wBalance);
            var vh = Vector128.Create(wHeadroom);
            var vp = Vector128.Create(penalty);
            for (; k <= n - Vector128<float>.Count; k += Vector128<float>.Count)
            {
                var before = Vector128.LoadUnsafe(ref l0, (nuint)k);
                var after = before + (vs * Vector128.LoadUnsafe(ref d0, (nuint)k));
                var t = Vector128.LoadUnsafe(ref t0, (nuint)k);
                var ea = after - t;
                var eb = before - t;
                var h = Vector128.LoadUnsafe(ref h0, (nuint)k);
                var oa = Vector128.Max(Vector128<float>.Zero, after - h);
                var ob = Vector128.Max(Vector128<float>.Zero, before - h);
                var c = Vector128.LoadUnsafe(ref c0, (nuint)k);
                var over = Vector128.Max(Vector128<float>.Zero, after - c) - Vector128.Max(Vector128<float>.Zero, before - c);
                var quad = (vb * ((ea * ea) - (eb * eb))) + (vh * ((oa * oa) - (ob * ob)));
                acc += (quad * Vector128.LoadUnsafe(ref i0, (nuint)k)) + (vp * over);
            }

            sum = Vector128.Sum(acc);
        }

        if (k < n)
        {
            sum += DeltaScalar(load[k..], change[k..], sign, capacity[k..], inverseCapacity[k..], target[k..], headroom[k..], wBalance, wHeadroom, penalty);
        }

        return sum;
    }

    /// <summary>Balance, headroom and overload of one node row, unweighted, accumulated in double.</summary>
    public static (double Balance, double Headroom, double Overload) Terms(
        ReadOnlySpan<float> load, ReadOnlySpan<float> capacity, ReadOnlySpan<float> inverseCapacity, ReadOnlySpan<float> target, ReadOnlySpan<float> headroom)
    {
        double balance = 0, head = 0, overload = 0;
        for (int k = 0; k < load.Length; k++)
        {
            float e = load[k] - target[k];
            balance += e * e * inverseCapacity[k];
            float o = MathF.Max(0, load[k] - headroom[k]);
            head += o * o * inverseCapacity[k];
            overload += MathF.Max(0, load[k] - capacity[k]);
        }

        return (balance, head, overload);
    }

    /// <summary>Peak utilisation of a node row (max over lanes of l/c).</summary>
    public static float Peak(ReadOnlySpan<float> load, ReadOnlySpan<float> inverseCapacity)
    {
        float peak = 0;
        for (int k = 0; k < load.Length; k++)
        {
            peak = MathF.Max(peak, load[k] * inverseCapacity[k]);
        }

        return peak;
    }
}
