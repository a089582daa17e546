using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Shardcast.Kernels.Search;

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
    /// Vector ladder: 512-bit (16 floats) where AVX-512 is there, then 256-bit (8), then 128-bit (4), then scalar.
    /// Rows are padded to a multiple of 8 lanes, so a 12x2 row is one 512-bit and one 256-bit step and the
    /// scalar tail never runs on vector hardware.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Delta(
        ReadOnlySpan<float> load, ReadOnlySpan<float> change, float sign,
        ReadOnlySpan<float> capacity, ReadOnlySpan<float> inverseCapacity, ReadOnlySpan<float> target, ReadOnlySpan<float> headroom,
        float wBalance, float wHeadroom, float penalty)
    {
        int n = load.Length;
        if (n > change.Length || n > capacity.Length || n > inverseCapacity.Length || n > target.Length || n > headroom.Length)
        {
            throw new ArgumentException("Every row must be as long as the load row.");
        }

        ref float l0 = ref MemoryMarshal.GetReference(load);
        ref float d0 = ref MemoryMarshal.GetReference(change);
        ref float c0 = ref MemoryMarshal.GetReference(capacity);
        ref float i0 = ref MemoryMarshal.GetReference(inverseCapacity);
        ref float t0 = ref MemoryMarshal.GetReference(target);
        ref float h0 = ref MemoryMarshal.GetReference(headroom);
        int k = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            var acc = Vector512<float>.Zero;
            var vs = Vector512.Create(sign);
            var vb = Vector512.Create(wBalance);
            var vh = Vector512.Create(wHeadroom);
            var vp = Vector512.Create(penalty);
            for (; k <= n - Vector512<float>.Count; k += Vector512<float>.Count)
            {
                var before = Vector512.LoadUnsafe(ref l0, (nuint)k);
                var after = before + (vs * Vector512.LoadUnsafe(ref d0, (nuint)k));
                var t = Vector512.LoadUnsafe(ref t0, (nuint)k);
                var ea = after - t;
                var eb = before - t;
                var h = Vector512.LoadUnsafe(ref h0, (nuint)k);
                var oa = Vector512.Max(Vector512<float>.Zero, after - h);
                var ob = Vector512.Max(Vector512<float>.Zero, before - h);
                var c = Vector512.LoadUnsafe(ref c0, (nuint)k);
                var over = Vector512.Max(Vector512<float>.Zero, after - c) - Vector512.Max(Vector512<float>.Zero, before - c);
                var quad = (vb * ((ea * ea) - (eb * eb))) + (vh * ((oa * oa) - (ob * ob)));
                acc += (quad * Vector512.LoadUnsafe(ref i0, (nuint)k)) + (vp * over);
            }

            sum += Vector512.Sum(acc);
        }

        if (Vector256.IsHardwareAccelerated && n - k >= Vector256<float>.Count)
        {
            var acc = Vector256<float>.Zero;
            var vs = Vector256.Create(sign);
            var vb = Vector256.Create(wBalance);
            var vh = Vector256.Create(wHeadroom);
            var vp = Vector256.Create(penalty);
            for (; k <= n - Vector256<float>.Count; k += Vector256<float>.Count)
            {
                acc += Lane(Vector256.LoadUnsafe(ref l0, (nuint)k), vs * Vector256.LoadUnsafe(ref d0, (nuint)k), ref c0, ref i0, ref t0, ref h0, k, vb, vh, vp);
            }

            sum += Vector256.Sum(acc);
        }

        if (Vector128.IsHardwareAccelerated && n - k >= Vector128<float>.Count)
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

            sum += Vector128.Sum(acc);
        }

        if (k < n)
        {
            sum += DeltaScalar(load[k..], change[k..], sign, capacity[k..], inverseCapacity[k..], target[k..], headroom[k..], wBalance, wHeadroom, penalty);
        }

        return sum;
    }

    /// <summary>
    /// Both node rows of a move or swap in one pass: node a's row changes by +signA*change, node b's by the
    /// opposite. One accumulator and one horizontal sum instead of two; rows are addressed by reference because
    /// the caller (the search state) owns arrays whose sizes <see cref="Problem.FlatProblem.Validate"/> checked.
    /// Falls back to two <see cref="Delta"/> calls where 256-bit vectors are not accelerated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float PairDelta(
        ref float loadA, ref float loadB, ref float change, float signA,
        ref float capacityA, ref float inverseA, ref float targetA, ref float headroomA,
        ref float capacityB, ref float inverseB, ref float targetB, ref float headroomB,
        int length, float wBalance, float wHeadroom, float penalty)
    {
        if (!Vector256.IsHardwareAccelerated || length % Vector256<float>.Count != 0)
        {
            return Delta(MemoryMarshal.CreateReadOnlySpan(ref loadA, length), MemoryMarshal.CreateReadOnlySpan(ref change, length), signA,
                       MemoryMarshal.CreateReadOnlySpan(ref capacityA, length), MemoryMarshal.CreateReadOnlySpan(ref inverseA, length),
                       MemoryMarshal.CreateReadOnlySpan(ref targetA, length), MemoryMarshal.CreateReadOnlySpan(ref headroomA, length), wBalance, wHeadroom, penalty)
                 + Delta(MemoryMarshal.CreateReadOnlySpan(ref loadB, length), MemoryMarshal.CreateReadOnlySpan(ref change, length), -signA,
                       MemoryMarshal.CreateReadOnlySpan(ref capacityB, length), MemoryMarshal.CreateReadOnlySpan(ref inverseB, length),
                       MemoryMarshal.CreateReadOnlySpan(ref targetB, length), MemoryMarshal.CreateReadOnlySpan(ref headroomB, length), wBalance, wHeadroom, penalty);
        }

        // 256-bit: 8 floats a step; a 12x2 row is three steps per node, a 12x4 row six.
        var acc = Vector256<float>.Zero;
        var vb = Vector256.Create(wBalance);
        var vh = Vector256.Create(wHeadroom);
        var vp = Vector256.Create(penalty);
        var vs = Vector256.Create(signA);
        for (int k = 0; k < length; k += Vector256<float>.Count)
        {
            var d = vs * Vector256.LoadUnsafe(ref change, (nuint)k);
            acc += Lane(Vector256.LoadUnsafe(ref loadA, (nuint)k), d, ref capacityA, ref inverseA, ref targetA, ref headroomA, k, vb, vh, vp);
            acc += Lane(Vector256.LoadUnsafe(ref loadB, (nuint)k), -d, ref capacityB, ref inverseB, ref targetB, ref headroomB, k, vb, vh, vp);
        }

        return Vector256.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lane(
        Vector256<float> before, Vector256<float> change, ref float capacity, ref float inverse, ref float target, ref float headroom,
        int k, Vector256<float> vb, Vector256<float> vh, Vector256<float> vp)
    {
        var after = before + change;
        var t = Vector256.LoadUnsafe(ref target, (nuint)k);
        var ea = after - t;
        var eb = before - t;
        var h = Vector256.LoadUnsafe(ref headroom, (nuint)k);
        var oa = Vector256.Max(Vector256<float>.Zero, after - h);
        var ob = Vector256.Max(Vector256<float>.Zero, before - h);
        var c = Vector256.LoadUnsafe(ref capacity, (nuint)k);
        var over = Vector256.Max(Vector256<float>.Zero, after - c) - Vector256.Max(Vector256<float>.Zero, before - c);
        var quad = (vb * ((ea * ea) - (eb * eb))) + (vh * ((oa * oa) - (ob * ob)));
        return (quad * Vector256.LoadUnsafe(ref inverse, (nuint)k)) + (vp * over);
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
