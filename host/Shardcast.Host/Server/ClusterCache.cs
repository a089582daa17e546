using Shardcast.Engine.Planning;
using Shardcast.Protocol;

namespace Shardcast.Host.Server;

/// <summary>
/// Clusters a client sent once (`cache_as` on `plan` or `evaluate`) and refers to by name afterwards (`cluster`),
/// so that a planner evaluating many assignments of one cluster sends only the assignments. Holds at most a fixed
/// number; adding one past it drops the least recently used.
/// </summary>
public sealed class ClusterCache(int capacity)
{
    private readonly Dictionary<string, (AssignmentEvaluator Evaluator, long Used)> _clusters = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _clock;

    /// <param name="baseAssignment">What later evaluations will be close to (the plan, or the assignment sent with the cluster).</param>
    public void Put(string name, PlanningInput input, int[]? baseAssignment)
    {
        // Prepared outside the lock: preparing copies the cluster's loads once and evaluates the base.
        var evaluator = new AssignmentEvaluator(input, baseAssignment);
        Put(name, evaluator);
    }

    private void Put(string name, AssignmentEvaluator evaluator)
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

    public AssignmentEvaluator Get(string name, string path)
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
