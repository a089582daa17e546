using Shardcast.Kernels.Problem;

namespace Shardcast.Kernels.Search;

/// <summary>
/// Members of each replica group per node and per zone, and the zones each group spans, kept as moves are
/// applied, so a move's group constraints cost O(1) instead of a scan of the group (groups of hundreds of
/// members are common in industrial instances: ROADEF services). Counts per (group, node) are kept only for
/// groups larger than <see cref="ScanUpTo"/> members and while they fit in <see cref="MaxNodeCounts"/> entries;
/// otherwise the caller scans the group, which for replica groups of three is cheaper than a table that evicts
/// the load rows from cache (measured: the 10k/100 annealing step on two cores lost a fifth with the table).
/// </summary>
internal sealed class GroupPlacement
{
    /// <summary>Largest groups x nodes table kept (64 MB of counts); a larger one would cost more memory than the scan costs time.</summary>
    public const long MaxNodeCounts = 16L << 20;

    /// <summary>Largest group size for which scanning the members beats the (group, node) table.</summary>
    public const int ScanUpTo = 16;

    private readonly FlatProblem _problem;
    private readonly int[]? _onNode;
    private readonly int[] _inZone;
    private readonly int[] _zones;

    /// <param name="countNodes">Force the (group, node) table on or off (tests); null chooses as described above.</param>
    public GroupPlacement(FlatProblem problem, bool? countNodes = null)
    {
        _problem = problem;
        bool worthIt = problem.LargestGroup() > ScanUpTo && (long)problem.Groups * problem.Nodes <= MaxNodeCounts;
        _onNode = countNodes ?? worthIt ? new int[problem.Groups * problem.Nodes] : null;
        _inZone = new int[problem.Groups * problem.Zones];
        _zones = new int[problem.Groups];
    }

    public bool TracksNodes => _onNode is not null;

    public void Reset(int[] assignment)
    {
        var p = _problem;
        if (_onNode is not null)
        {
            Array.Clear(_onNode);
        }

        Array.Clear(_inZone);
        Array.Clear(_zones);
        for (int i = 0; i < p.Partitions; i++)
        {
            int g = p.GroupOf[i];
            if (g >= 0)
            {
                Add(g, assignment[i], 1);
            }
        }
    }

    /// <summary>Members of group on node (only while <see cref="TracksNodes"/>).</summary>
    public int OnNode(int group, int node) => _onNode![(group * _problem.Nodes) + node];

    public int InZone(int group, int zone) => _inZone[(group * _problem.Zones) + zone];

    public int Zones(int group) => _zones[group];

    public void Move(int group, int from, int to)
    {
        if (group >= 0 && from != to)
        {
            Add(group, from, -1);
            Add(group, to, 1);
        }
    }

    private void Add(int group, int node, int change)
    {
        if (_onNode is not null)
        {
            _onNode[(group * _problem.Nodes) + node] += change;
        }

        ref int inZone = ref _inZone[(group * _problem.Zones) + _problem.NodeZone[node]];
        int before = inZone;
        inZone += change;
        _zones[group] += (inZone > 0 ? 1 : 0) - (before > 0 ? 1 : 0);
    }
}
