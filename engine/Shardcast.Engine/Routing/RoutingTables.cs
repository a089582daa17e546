using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Shardcast.Engine.Routing;

/// <summary>
/// One routing table per cluster, by name, so that two clusters planned through one server never share entries or
/// epochs. With a folder, each table lives in `NAME.routes.json` there and every table found is read at start (a
/// damaged one stops the start, naming its file); without one, tables live in memory.
/// </summary>
public sealed partial class RoutingTables
{
    /// <summary>The cluster a request names by default.</summary>
    public const string DefaultCluster = "default";

    private const string Suffix = ".routes.json";
    private readonly ConcurrentDictionary<string, RoutingTable> _tables = new(StringComparer.Ordinal);
    private readonly string? _folder;

    public RoutingTables(string? folder = null)
    {
        _folder = folder;
        if (folder is null)
        {
            return;
        }

        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(folder, "*" + Suffix))
        {
            string name = Path.GetFileName(file)[..^Suffix.Length];
            if (IsValidName(name))
            {
                _tables[name] = RoutingTable.Open(file);
            }
        }
    }

    /// <summary>The clusters that have a table.</summary>
    public IReadOnlyList<string> Clusters => [.. _tables.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The named cluster's table, made empty on first use.</summary>
    public RoutingTable Get(string cluster)
    {
        if (!IsValidName(cluster))
        {
            throw new RoutingStateException($"cluster name '{cluster}' is not 1 to 64 letters, digits, '.', '_' or '-' (not starting with '.')");
        }

        return _tables.GetOrAdd(cluster, name => _folder is null ? new RoutingTable() : RoutingTable.Open(Path.Combine(_folder, name + Suffix)));
    }

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
