using Shardcast.Protocol;

namespace Shardcast.Host.Server;

/// <summary>
/// Series the server has been sent by `ingest`, kept in memory up to a total number of points (a series that
/// would pass it is refused, not truncated). Thread-safe; forecasts read a copy.
/// </summary>
public sealed class SeriesStore(long maxPoints)
{
    private readonly Dictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _points;

    public long Points
    {
        get
        {
            lock (_lock)
            {
                return _points;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _series.Count;
            }
        }
    }

    /// <summary>Appends values to a series (creating it with its step); returns its length after.</summary>
    public int Append(string id, double stepSeconds, double? end, double[] values, string path)
    {
        lock (_lock)
        {
            if (_points + values.Length > maxPoints)
            {
                throw new ProtocolException(ErrorCodes.TooLarge, $"{path}: storing {values.Length} more points would pass the server's limit of {maxPoints}");
            }

            if (!_series.TryGetValue(id, out var series))
            {
                series = new StoredSeries(stepSeconds);
                _series[id] = series;
            }
            else if (Math.Abs(series.StepSeconds - stepSeconds) > 1e-9 * stepSeconds)
            {
                throw new BadRequestException($"{path}.step_seconds", $"series '{id}' was ingested at {series.StepSeconds} s steps, found {stepSeconds}");
            }

            series.Values.AddRange(values);
            series.End = end ?? series.End + (values.Length * stepSeconds);
            _points += values.Length;
            return series.Values.Count;
        }
    }

    /// <summary>A copy of a stored series (step, end, values), or null.</summary>
    public (double StepSeconds, double End, double[] Values)? Get(string id)
    {
        lock (_lock)
        {
            return _series.TryGetValue(id, out var s) ? (s.StepSeconds, s.End, s.Values.ToArray()) : null;
        }
    }

    private sealed class StoredSeries(double stepSeconds)
    {
        public double StepSeconds { get; } = stepSeconds;

        public List<double> Values { get; } = [];

        public double End { get; set; }
    }
}

/// <summary>
/// The routing table clients follow: partition -> node, with the epoch at which each entry last changed. A plan
/// sent with `apply` moves its partitions here in one new epoch; `route` returns the entries changed since an
/// epoch a client already holds (or all of them).
/// </summary>
public sealed class RoutingTable
{
    private readonly Dictionary<string, (string Node, ulong Epoch)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ulong _epoch;

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
    public (ulong Epoch, int Changed) Apply(IReadOnlyList<(string Partition, string Node)> assignment)
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
                throw new ProtocolException(ErrorCodes.NotFound, $"body.since: epoch {since} is ahead of the table's {_epoch}");
            }

            return (_epoch, [.. _entries.Where(e => e.Value.Epoch > since).OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value.Node, e.Value.Epoch))]);
        }
    }
}

/// <summary>
/// Clusters a client sent once (`cache_as` on `plan` or `evaluate`) and refers to by name afterwards (`cluster`),
/// so that a planner evaluating many assignments of one cluster sends only the assignments. Holds at most a fixed
/// number; adding one past it drops the least recently used.
/// </summary>
public sealed class ClusterCache(int capacity)
{
    private readonly Dictionary<string, (Engine.Planning.AssignmentEvaluator Evaluator, long Used)> _clusters = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _clock;

    /// <param name="baseAssignment">What later evaluations will be close to (the plan, or the assignment sent with the cluster).</param>
    public void Put(string name, Engine.Planning.PlanningInput input, int[]? baseAssignment)
    {
        // Prepared outside the lock: preparing copies the cluster's loads once and evaluates the base.
        var evaluator = new Engine.Planning.AssignmentEvaluator(input, baseAssignment);
        Put(name, evaluator);
    }

    private void Put(string name, Engine.Planning.AssignmentEvaluator evaluator)
    {
        lock (_lock)
        {
            if (!_clusters.ContainsKey(name) && _clusters.Count >= capacity)
            {
                _clusters.Remove(_clusters.MinBy(c => c.Value.Used).Key);
            }

            _clusters[name] = (evaluator, ++_clock);
        }
    }

    public Engine.Planning.AssignmentEvaluator Get(string name, string path)
    {
        lock (_lock)
        {
            if (!_clusters.TryGetValue(name, out var entry))
            {
                throw new ProtocolException(ErrorCodes.NotFound, $"{path}: no cluster cached as '{name}' (send it once with cache_as)");
            }

            _clusters[name] = (entry.Evaluator, ++_clock);
            return entry.Evaluator;
        }
    }
}
