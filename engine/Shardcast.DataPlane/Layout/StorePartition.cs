using System.Globalization;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Layout;

/// <summary>
/// A partition of a store as Shardcast plans it: a contiguous range of hash slots that one node owns. Its id names
/// its range (<c>slots:first-last</c>), so a plan made from a cluster file, by any tool, maps back to slots.
/// </summary>
public sealed record StorePartition(SlotRange Range, StoreNode Owner)
{
    public const string IdPrefix = "slots:";

    public string Id => IdOf(Range);

    public static string IdOf(SlotRange range) => FormattableString.Invariant($"{IdPrefix}{range.First}-{range.Last}");

    /// <summary>The range a partition id names; a clear error for an id that names none.</summary>
    public static SlotRange ParseId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.StartsWith(IdPrefix, StringComparison.Ordinal) && id[IdPrefix.Length..].Split('-') is [var first, var last]
            && int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int a)
            && int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int b)
            && a <= b && b < HashSlots.Count)
        {
            return new SlotRange(a, b);
        }

        throw new FormatException($"partition '{id}' does not name a slot range: a store's partitions are named '{IdPrefix}FIRST-LAST' with 0 <= FIRST <= LAST <= {HashSlots.Count - 1}");
    }

    /// <summary>
    /// Cuts the slot space into <paramref name="count"/> ranges of near-equal width, each cut again where ownership
    /// changes inside it, so that every partition has one owner (a range half moved by an interrupted move becomes
    /// two partitions until a plan joins them). Slots no node owns belong to no partition.
    /// </summary>
    public static IReadOnlyList<StorePartition> Cut(SlotMap map, int count)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (count is < 1 or > HashSlots.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"a store is cut into 1 to {HashSlots.Count} partitions");
        }

        var partitions = new List<StorePartition>();
        for (int i = 0; i < count; i++)
        {
            int first = (int)((long)i * HashSlots.Count / count);
            int last = (int)((long)(i + 1) * HashSlots.Count / count) - 1;
            int start = first;
            for (int slot = first + 1; slot <= last + 1; slot++)
            {
                if (slot == last + 1 || map.Owner(slot)?.Id != map.Owner(start)?.Id)
                {
                    if (map.Owner(start) is { } owner)
                    {
                        partitions.Add(new StorePartition(new SlotRange(start, slot - 1), owner));
                    }

                    start = slot;
                }
            }
        }

        return partitions;
    }
}
