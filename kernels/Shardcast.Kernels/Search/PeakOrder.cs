namespace Shardcast.Kernels.Search;

/// <summary>
/// Nodes by peak utilisation, hottest first and ties by index, kept in order as moves change single nodes: a move
/// changes two peaks, and putting those two back in place costs far less than sorting every node again (at 10k
/// nodes the sort per move took most of the descent's time).
/// </summary>
internal sealed class PeakOrder
{
    private readonly float[] _peak;
    private readonly int[] _order;
    private readonly int[] _position;

    public PeakOrder(ReadOnlySpan<float> peaks)
    {
        _peak = peaks.ToArray();
        _order = Enumerable.Range(0, _peak.Length).ToArray();
        Array.Sort(_order, Compare);
        _position = new int[_peak.Length];
        for (int i = 0; i < _order.Length; i++)
        {
            _position[_order[i]] = i;
        }
    }

    /// <summary>The node at this rank (0 = hottest).</summary>
    public int this[int rank] => _order[rank];

    /// <summary>Records a node's new peak and moves it to its rank.</summary>
    public void Update(int node, float peak)
    {
        _peak[node] = peak;
        int i = _position[node];
        while (i > 0 && Compare(_order[i - 1], node) > 0)
        {
            _order[i] = _order[i - 1];
            _position[_order[i]] = i;
            i--;
        }

        while (i + 1 < _order.Length && Compare(_order[i + 1], node) < 0)
        {
            _order[i] = _order[i + 1];
            _position[_order[i]] = i;
            i++;
        }

        _order[i] = node;
        _position[node] = i;
    }

    private int Compare(int a, int b) => _peak[a] != _peak[b] ? _peak[b].CompareTo(_peak[a]) : a.CompareTo(b);
}
