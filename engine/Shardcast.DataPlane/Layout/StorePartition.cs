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
            var share = SlotRange.EvenShare(i, count);
            int first = share.First, last = share.Last;
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

    /// <summary>
    /// Splits the partitions whose load is above <paramref name="limit"/>, the heaviest first, each at its load-weighted
    /// midpoint (the slot where half its load is reached), until none is above the limit, a heavy range is a single
    /// slot, or there are <paramref name="maxPartitions"/>. On a store a split is only a cut: no key moves until a
    /// child does. Children are adjacent and keep their parent's owner.
    /// </summary>
    public static IReadOnlyList<StorePartition> SplitHot(IReadOnlyList<StorePartition> cut, Func<int, double> slotLoad, double limit, int maxPartitions)
    {
        ArgumentNullException.ThrowIfNull(cut);
        ArgumentNullException.ThrowIfNull(slotLoad);
        var parts = cut.Select(p => (Part: p, Load: Load(p.Range, slotLoad))).ToList();
        while (parts.Count < maxPartitions)
        {
            int heaviest = -1;
            for (int i = 0; i < parts.Count; i++)
            {
                if (parts[i].Load > limit && parts[i].Part.Range.Count > 1 && (heaviest < 0 || parts[i].Load > parts[heaviest].Load))
                {
                    heaviest = i;
                }
            }

            if (heaviest < 0)
            {
                break;
            }

            var (part, load) = parts[heaviest];
            int at = Midpoint(part.Range, slotLoad, load);
            var left = new StorePartition(new SlotRange(part.Range.First, at), part.Owner);
            var right = new StorePartition(new SlotRange(at + 1, part.Range.Last), part.Owner);
            parts[heaviest] = (left, Load(left.Range, slotLoad));
            parts.Insert(heaviest + 1, (right, Load(right.Range, slotLoad)));
        }

        return [.. parts.Select(p => p.Part)];
    }

    private static double Load(SlotRange range, Func<int, double> slotLoad)
    {
        double sum = 0;
        for (int slot = range.First; slot <= range.Last; slot++)
        {
            sum += slotLoad(slot);
        }

        return sum;
    }

    /// <summary>The last slot of the left child: where half the range's load is reached, leaving at least one slot on each side.</summary>
    private static int Midpoint(SlotRange range, Func<int, double> slotLoad, double load)
    {
        double sum = 0;
        for (int slot = range.First; slot < range.Last; slot++)
        {
            sum += slotLoad(slot);
            if (sum >= load / 2)
            {
                return slot;
            }
        }

        return range.Last - 1;
    }
}
