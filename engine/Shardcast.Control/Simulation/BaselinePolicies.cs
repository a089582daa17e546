namespace Shardcast.Control.Simulation;

/// <summary>No rebalancing: the starting placement, sized for the day's peak, stays (a failed node's partitions still fail over).</summary>
public sealed class StaticPolicy : IRebalancePolicy
{
    public string Name => "static";

    public ValueTask<PolicyActions> DecideAsync(ClusterView view, CancellationToken cancellation) => ValueTask.FromResult(PolicyActions.None);
}

/// <summary>
/// Evens out the number of partitions per node, blind to load, as `redis-cli --cluster rebalance` evens out slots:
/// checked every hour and whenever the node set changed; moves from nodes above the even share to nodes below it,
/// the source keeping its lowest-numbered partitions (the rest move), only where counts differ by more than one.
/// </summary>
public sealed class SlotCountPolicy : IRebalancePolicy
{
    private int _nodesSeen = -1;

    public string Name => "slot_count";

    public ValueTask<PolicyActions> DecideAsync(ClusterView view, CancellationToken cancellation)
    {
        var usable = Enumerable.Range(0, view.Nodes.Count).Where(n => view.Nodes[n].Accepts).ToArray();
        bool hourly = view.Tick % 60 == 0;
        if (!(hourly || usable.Length != _nodesSeen) || view.MovingTo.Any(m => m >= 0))
        {
            return ValueTask.FromResult(PolicyActions.None);
        }

        _nodesSeen = usable.Length;
        var actions = new PolicyActions { Planned = true };
        var held = usable.ToDictionary(n => n, n => Enumerable.Range(0, view.Partitions).Where(i => view.Owner[i] == n).ToList());
        var orphans = Enumerable.Range(0, view.Partitions).Where(i => !view.Nodes[view.Owner[i]].Accepts).ToList();
        if (usable.Max(n => held[n].Count) - usable.Min(n => held[n].Count) <= 1 && orphans.Count == 0)
        {
            return ValueTask.FromResult(actions);
        }

        // Nodes in index order get the remainder, so the target counts are fixed and moves do not oscillate.
        int share = view.Partitions / usable.Length, extra = view.Partitions % usable.Length;
        var target = usable.Select((n, k) => (n, count: share + (k < extra ? 1 : 0))).ToDictionary(x => x.n, x => x.count);
        var surplus = new Queue<int>(orphans.Concat(usable.SelectMany(n => held[n].Skip(target[n]))));
        foreach (int n in usable)
        {
            for (int k = held[n].Count; k < target[n] && surplus.Count > 0; k++)
            {
                actions.Moves.Add(new SimMove(surplus.Dequeue(), n));
            }
        }

        return ValueTask.FromResult(actions);
    }
}

/// <summary>
/// Threshold-triggered greedy rebalancing on current load, the way load-aware rebalancers work today (Cruise
/// Control's anomaly-triggered rebalance is the model): every step it looks at the load just measured; where a node
/// is above theta it moves partitions from the hottest node to the least loaded one, the largest that fits under
/// theta there first, until the hottest is under theta or nothing fits. It acts only once a node is already hot.
/// Nodes that are draining (none here: it never scales) are emptied the same way.
/// </summary>
public sealed class ReactivePolicy(int maxMovesPerRound = 8) : IRebalancePolicy
{
    public string Name => "reactive";

    public ValueTask<PolicyActions> DecideAsync(ClusterView view, CancellationToken cancellation)
    {
        if (!view.StepStart || view.Tick == 0)
        {
            return ValueTask.FromResult(PolicyActions.None);
        }

        var actions = new PolicyActions { Planned = true };
        double capacity = view.Scenario.NodeCapacity, theta = view.Scenario.Theta;
        var usable = Enumerable.Range(0, view.Nodes.Count).Where(n => view.Nodes[n].Accepts && view.Nodes[n].IsReady(view.Tick)).ToArray();
        var load = new double[view.Nodes.Count];
        for (int i = 0; i < view.Partitions; i++)
        {
            load[view.Destination(i)] += view.PartitionLoad[i];
        }

        var moving = view.MovingTo.Select(m => m >= 0).ToArray();
        for (int round = 0; round < maxMovesPerRound; round++)
        {
            int hot = usable.MaxBy(n => load[n]);
            int cold = usable.MinBy(n => load[n]);
            if (load[hot] <= theta * capacity || hot == cold)
            {
                break;
            }

            double room = theta * capacity - load[cold];
            int best = -1;
            for (int i = 0; i < view.Partitions; i++)
            {
                double l = view.PartitionLoad[i];
                if (view.Owner[i] == hot && !moving[i] && l <= room && l < load[hot] - load[cold] && (best < 0 || l > view.PartitionLoad[best]))
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                break;
            }

            actions.Moves.Add(new SimMove(best, cold));
            moving[best] = true;
            load[hot] -= view.PartitionLoad[best];
            load[cold] += view.PartitionLoad[best];
        }

        return ValueTask.FromResult(actions);
    }
}
