namespace Shardcast.DataPlane.Store;

/// <summary>
/// Which primary owns each of the 16384 slots, as a node reports it (CLUSTER NODES), with the slots it reports as
/// migrating out or importing in. The store's own routing table: what Shardcast's routing follows and what a move
/// changes.
/// </summary>
public sealed class SlotMap
{
    private readonly int[] _owner;

    public SlotMap(IReadOnlyList<StoreNode> nodes, int[] owner, IReadOnlyDictionary<int, (string From, string To)> inTransit)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(owner);
        if (owner.Length != HashSlots.Count)
        {
            throw new ArgumentException($"a slot map has {HashSlots.Count} slots, found {owner.Length}", nameof(owner));
        }

        Nodes = nodes;
        _owner = owner;
        InTransit = inTransit;
    }

    /// <summary>The primaries, in the order the owner indices refer to.</summary>
    public IReadOnlyList<StoreNode> Nodes { get; }

    /// <summary>Slots a node reports as migrating or importing: slot -> (source id, target id).</summary>
    public IReadOnlyDictionary<int, (string From, string To)> InTransit { get; }

    /// <summary>The owner of a slot, or null where no node serves it.</summary>
    public StoreNode? Owner(int slot) => _owner[slot] is >= 0 and var i ? Nodes[i] : null;

    /// <summary>Every slot has an owner.</summary>
    public bool Covered => Array.TrueForAll(_owner, o => o >= 0);

    /// <summary>The ranges each node owns, in slot order.</summary>
    public IReadOnlyList<(StoreNode Node, SlotRange Range)> Ranges()
    {
        var ranges = new List<(StoreNode, SlotRange)>();
        int start = 0;
        for (int slot = 1; slot <= HashSlots.Count; slot++)
        {
            if (slot == HashSlots.Count || _owner[slot] != _owner[start])
            {
                if (_owner[start] >= 0)
                {
                    ranges.Add((Nodes[_owner[start]], new SlotRange(start, slot - 1)));
                }

                start = slot;
            }
        }

        return ranges;
    }
}
