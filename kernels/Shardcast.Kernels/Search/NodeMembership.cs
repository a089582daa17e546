namespace Shardcast.Kernels.Search;

/// <summary>
/// Which partitions sit on each node, with O(1) insert and remove (swap with the last), so biased
/// proposals can pick a partition of a hot node without scanning the assignment.
/// </summary>
internal sealed class NodeMembership
{
    private readonly int[][] _members;
    private readonly int[] _count;
    private readonly int[] _position;

    public NodeMembership(int nodes, int partitions)
    {
        _members = new int[nodes][];
        _count = new int[nodes];
        _position = new int[partitions];
        int initial = Math.Max(4, 2 * partitions / nodes);
        for (int n = 0; n < nodes; n++)
        {
            _members[n] = new int[initial];
        }
    }

    public int Count(int node) => _count[node];

    public int At(int node, int index) => _members[node][index];

    public ReadOnlySpan<int> Of(int node) => _members[node].AsSpan(0, _count[node]);

    public void Clear() => Array.Clear(_count);

    public void Add(int node, int partition)
    {
        int[] list = _members[node];
        int c = _count[node];
        if (c == list.Length)
        {
            // Growth is rare after the first few hundred moves; steady-state steps do not allocate.
            Array.Resize(ref _members[node], list.Length * 2);
            list = _members[node];
        }

        list[c] = partition;
        _position[partition] = c;
        _count[node] = c + 1;
    }

    public void Remove(int node, int partition)
    {
        int[] list = _members[node];
        int last = --_count[node];
        int at = _position[partition];
        int moved = list[last];
        list[at] = moved;
        _position[moved] = at;
    }
}
