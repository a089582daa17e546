namespace Shardcast.Engine.Cluster;

public enum NodeState
{
    /// <summary>Serving and may receive partitions.</summary>
    Active,

    /// <summary>Being emptied: may not hold partitions in a plan, so the planner moves them off.</summary>
    Draining,

    /// <summary>Just added, usually empty: may receive partitions.</summary>
    New,
}
