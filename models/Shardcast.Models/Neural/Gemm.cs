using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Shardcast.Models.Neural;

/// <summary>
/// Dense row-major matrix products, the LSTM's one hot loop: C[M,N] (+)= A[M,K] B[K,N]. A register-blocked
/// micro-kernel (4 rows x 16 columns of accumulators, B rows streamed, A broadcast) over Vector256, with
/// <see cref="MultiplyReference"/> beside it as the obvious version the tests compare against.
/// </summary>
public static class Gemm
{
    private const int RowBlock = 4;
    private const int ColumnBlock = 16;

    /// <summary>C = (accumulate ? C : 0) + A B; A is M x K with row stride lda, B is K x N (ldb), C is M x N (ldc).</summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        CheckShapes(a.Length, lda, b.Length, ldb, c.Length, ldc, m, n, k);
        if (m == 0 || n == 0)
        {
            return;
        }

        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref float b0 = ref MemoryMarshal.GetReference(b);
        ref float c0 = ref MemoryMarshal.GetReference(c);
        int row = 0;
        for (; row + RowBlock <= m; row += RowBlock)
        {
            int col = 0;
            for (; col + ColumnBlock <= n; col += ColumnBlock)
            {
                Block4x16(ref Unsafe.Add(ref a0, row * lda), lda, ref Unsafe.Add(ref b0, col), ldb, ref Unsafe.Add(ref c0, (row * ldc) + col), ldc, k, accumulate);
            }

            for (int r = row; r < row + RowBlock; r++)
            {
                RowTail(ref Unsafe.Add(ref a0, r * lda), ref b0, ldb, ref Unsafe.Add(ref c0, r * ldc), col, n, k, accumulate);
            }
        }

        for (; row < m; row++)
        {
            RowTail(ref Unsafe.Add(ref a0, row * lda), ref b0, ldb, ref Unsafe.Add(ref c0, row * ldc), 0, n, k, accumulate);
        }
    }

    /// <summary>C = (accumulate ? C : 0) + A^T B, A being K x M (lda) and B K x N: the weight gradient's shape.</summary>
    public static void MultiplyTransposedA(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate, Span<float> scratch)
    {
        // Transposing A once (O(KM)) lets the product run through the one micro-kernel (O(KMN)).
        if (scratch.Length < m * k)
        {
            throw new ArgumentException($"Scratch of {m * k} floats needed, {scratch.Length} given.", nameof(scratch));
        }

        Transpose(a, lda, k, m, scratch);
        Multiply(scratch, k, b, ldb, c, ldc, m, n, k, accumulate);
    }

    /// <summary>destination[c * rows + r] = source[r * lds + c]: a rows x columns block transposed.</summary>
    public static void Transpose(ReadOnlySpan<float> source, int lds, int rows, int columns, Span<float> destination)
    {
        for (int r = 0; r < rows; r++)
        {
            var line = source.Slice(r * lds, columns);
            for (int c = 0; c < columns; c++)
            {
                destination[(c * rows) + r] = line[c];
            }
        }
    }

    /// <summary>The obvious triple loop, in double accumulation: what the blocked kernel is tested against.</summary>
    public static void MultiplyReference(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        CheckShapes(a.Length, lda, b.Length, ldb, c.Length, ldc, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[(i * ldc) + j] : 0;
                for (int p = 0; p < k; p++)
                {
                    sum += (double)a[(i * lda) + p] * b[(p * ldb) + j];
                }

                c[(i * ldc) + j] = (float)sum;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x16(ref float a, int lda, ref float b, int ldb, ref float c, int ldc, int k, bool accumulate)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31;
        if (accumulate)
        {
            c00 = Vector256.LoadUnsafe(ref c);
            c01 = Vector256.LoadUnsafe(ref c, 8);
            c10 = Vector256.LoadUnsafe(ref c, (nuint)ldc);
            c11 = Vector256.LoadUnsafe(ref c, (nuint)ldc + 8);
            c20 = Vector256.LoadUnsafe(ref c, (nuint)(2 * ldc));
            c21 = Vector256.LoadUnsafe(ref c, (nuint)(2 * ldc) + 8);
            c30 = Vector256.LoadUnsafe(ref c, (nuint)(3 * ldc));
            c31 = Vector256.LoadUnsafe(ref c, (nuint)(3 * ldc) + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector256<float>.Zero;
        }

        ref float a1 = ref Unsafe.Add(ref a, lda);
        ref float a2 = ref Unsafe.Add(ref a, 2 * lda);
        ref float a3 = ref Unsafe.Add(ref a, 3 * lda);
        for (int p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref b, p * ldb);
            var b0 = Vector256.LoadUnsafe(ref bp);
            var b1 = Vector256.LoadUnsafe(ref bp, 8);
            var x = Vector256.Create(Unsafe.Add(ref a, p));
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref a1, p));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref a2, p));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref a3, p));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
        }

        c00.StoreUnsafe(ref c);
        c01.StoreUnsafe(ref c, 8);
        c10.StoreUnsafe(ref c, (nuint)ldc);
        c11.StoreUnsafe(ref c, (nuint)ldc + 8);
        c20.StoreUnsafe(ref c, (nuint)(2 * ldc));
        c21.StoreUnsafe(ref c, (nuint)(2 * ldc) + 8);
        c30.StoreUnsafe(ref c, (nuint)(3 * ldc));
        c31.StoreUnsafe(ref c, (nuint)(3 * ldc) + 8);
    }

    /// <summary>One row of C from column <paramref name="from"/> to n: eight columns at a time, then one.</summary>
    private static void RowTail(ref float a, ref float b, int ldb, ref float c, int from, int n, int k, bool accumulate)
    {
        int col = from;
        for (; col + 8 <= n; col += 8)
        {
            var sum = accumulate ? Vector256.LoadUnsafe(ref c, (nuint)col) : Vector256<float>.Zero;
            for (int p = 0; p < k; p++)
            {
                sum = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref a, p)), Vector256.LoadUnsafe(ref b, (nuint)((p * ldb) + col)), sum);
            }

            sum.StoreUnsafe(ref c, (nuint)col);
        }

        for (; col < n; col++)
        {
            float sum = accumulate ? Unsafe.Add(ref c, col) : 0;
            for (int p = 0; p < k; p++)
            {
                sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref a, p), Unsafe.Add(ref b, (p * ldb) + col), sum);
            }

            Unsafe.Add(ref c, col) = sum;
        }
    }

    private static void CheckShapes(int aLength, int lda, int bLength, int ldb, int cLength, int ldc, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0 || lda < k || ldb < n || ldc < n)
        {
            throw new ArgumentException($"Bad GEMM shape: m={m} n={n} k={k} lda={lda} ldb={ldb} ldc={ldc}.");
        }

        if ((m > 0 && k > 0 && aLength < ((m - 1) * lda) + k) || (k > 0 && n > 0 && bLength < ((k - 1) * ldb) + n) || (m > 0 && n > 0 && cLength < ((m - 1) * ldc) + n))
        {
            throw new ArgumentException($"A GEMM operand is shorter than its shape: m={m} n={n} k={k}.");
        }
    }
}
