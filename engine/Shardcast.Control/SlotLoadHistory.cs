using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Store;

namespace Shardcast.Control;

/// <summary>
/// Operations per second per hash slot, one sample per step, the newest <see cref="Capacity"/> steps kept (a ring
/// of float rows, one row per step). A partition's history is the sum over its slots, so the history follows a
/// partition however its range was cut when the sample was taken: slots are the grain, ranges are read from them.
/// </summary>
public sealed class SlotLoadHistory
{
    private readonly float[][] _rows;
    private int _next;

    public SlotLoadHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _rows = new float[capacity][];
    }

    public int Capacity => _rows.Length;

    /// <summary>Steps recorded and still kept.</summary>
    public int Count { get; private set; }

    /// <summary>Records a step: each slot's operations over the window's span.</summary>
    public void Append(SlotTrafficWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var row = _rows[_next] ??= new float[HashSlots.Count];
        double seconds = window.Span.TotalSeconds;
        for (int slot = 0; slot < HashSlots.Count; slot++)
        {
            row[slot] = seconds > 0 ? (float)(window.Operations[slot] / seconds) : 0f;
        }

        _next = (_next + 1) % _rows.Length;
        Count = Math.Min(Count + 1, _rows.Length);
    }

    /// <summary>The range's operations per second at each kept step, oldest first.</summary>
    public double[] Of(SlotRange range)
    {
        var values = new double[Count];
        int oldest = (_next - Count + _rows.Length) % _rows.Length;
        for (int i = 0; i < Count; i++)
        {
            var row = _rows[(oldest + i) % _rows.Length];
            double sum = 0;
            for (int slot = range.First; slot <= range.Last; slot++)
            {
                sum += row[slot];
            }

            values[i] = sum;
        }

        return values;
    }

    /// <summary>Each slot's mean operations per second over the newest <paramref name="steps"/> steps kept (zeros before the first).</summary>
    public double[] Recent(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var mean = new double[HashSlots.Count];
        int taken = Math.Min(steps, Count);
        for (int i = 1; i <= taken; i++)
        {
            var row = _rows[(_next - i + _rows.Length) % _rows.Length];
            for (int slot = 0; slot < mean.Length; slot++)
            {
                mean[slot] += row[slot];
            }
        }

        if (taken > 0)
        {
            for (int slot = 0; slot < mean.Length; slot++)
            {
                mean[slot] /= taken;
            }
        }

        return mean;
    }
}
