namespace Shardcast.Engine.Routing;

/// <summary>
/// The routing table clients follow: partition -> node, with the epoch at which each entry last changed. Recording
/// an assignment moves its changed partitions here in one new epoch; <see cref="Since"/> returns the entries changed
/// after an epoch a client already holds (or all of them). The table records where partitions are meant to be
/// served; it moves no data. A table with a file (<see cref="Open"/>) writes itself there after every change that
/// moved an entry, whole and synced before the change is acknowledged, so a restart serves the same epochs.
/// </summary>
public sealed class RoutingTable
{
    private readonly Dictionary<string, (string Node, ulong Epoch)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly string? _path;
    private ulong _epoch;

    /// <summary>A table kept in memory only.</summary>
    public RoutingTable()
    {
    }

    private RoutingTable(string path) => _path = path;

    /// <summary>The table kept in <paramref name="path"/>: read from it where it exists (refused whole if it is not a table), written to it on every change.</summary>
    public static RoutingTable Open(string path)
    {
        var table = new RoutingTable(path);
        if (File.Exists(path))
        {
            var (epoch, entries) = RoutingTableFile.Read(path);
            table._epoch = epoch;
            foreach (var (partition, node, at) in entries)
            {
                table._entries[partition] = (node, at);
            }
        }

        return table;
    }

    public ulong Epoch
    {
        get
        {
            lock (_lock)
            {
                return _epoch;
            }
        }
    }

    /// <summary>Records an assignment; entries that change get the new epoch. Returns the epoch and how many changed.</summary>
    public (ulong Epoch, int Changed) Record(IReadOnlyList<(string Partition, string Node)> assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        lock (_lock)
        {
            ulong next = _epoch + 1;
            int changed = 0;
            foreach (var (partition, node) in assignment)
            {
                if (!_entries.TryGetValue(partition, out var entry) || entry.Node != node)
                {
                    _entries[partition] = (node, next);
                    changed++;
                }
            }

            if (changed > 0)
            {
                _epoch = next;
                if (_path is not null)
                {
                    RoutingTableFile.Write(_path, _epoch, [.. _entries.Select(e => (e.Key, e.Value.Node, e.Value.Epoch))]);
                }
            }

            return (_epoch, changed);
        }
    }

    /// <summary>The entries changed after <paramref name="since"/> (all of them for 0), in partition order.</summary>
    public (ulong Epoch, IReadOnlyList<(string Partition, string Node, ulong Epoch)> Entries) Since(ulong since)
    {
        lock (_lock)
        {
            if (since > _epoch)
            {
                throw new EpochAheadException(since, _epoch);
            }

            return (_epoch, [.. _entries.Where(e => e.Value.Epoch > since).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value.Node, e.Value.Epoch))]);
        }
    }
}
