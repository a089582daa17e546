namespace Shardcast.DataPlane.Store;

/// <summary>A contiguous, inclusive range of hash slots: Shardcast's partition on a Redis-protocol store.</summary>
public readonly record struct SlotRange
{
    public SlotRange(int first, int last)
    {
        if (first < 0 || last >= HashSlots.Count || first > last)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"slots {first}-{last} are not a range within 0-{HashSlots.Count - 1}");
        }

        (First, Last) = (first, last);
    }

    public int First { get; }

    public int Last { get; }

    public int Count => Last - First + 1;

    public bool Contains(int slot) => slot >= First && slot <= Last;

    /// <summary>The <paramref name="index"/>th of <paramref name="count"/> near-equal ranges that cut the slot space in order.</summary>
    public static SlotRange EvenShare(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, HashSlots.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        return new SlotRange((int)((long)index * HashSlots.Count / count), (int)((long)(index + 1) * HashSlots.Count / count) - 1);
    }

    public override string ToString() => First == Last ? $"{First}" : $"{First}-{Last}";
}
