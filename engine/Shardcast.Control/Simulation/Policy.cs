namespace Shardcast.Control.Simulation;

/// <summary>A node of the simulated cluster.</summary>
public sealed class SimNode(string id, int addedTick, int readyTick)
{
    public string Id { get; } = id;

    /// <summary>The tick it was asked for (it counts in node-hours from then).</summary>
    public int AddedTick { get; } = addedTick;

    /// <summary>The first tick it takes load (provisioning before).</summary>
    public int ReadyTick { get; } = readyTick;

    /// <summary>The tick it failed or was removed after draining; null while it is in the cluster.</summary>
    public int? GoneTick { get; internal set; }

    public bool Failed { get; internal set; }

    /// <summary>Being emptied, to be removed once it holds nothing.</summary>
    public bool Draining { get; internal set; }

    public bool InCluster => GoneTick is null;

    public bool IsReady(int tick) => GoneTick is null && tick >= ReadyTick;

    /// <summary>A node a policy may move partitions to (now or once it is ready).</summary>
    public bool Accepts => GoneTick is null && !Draining;
}

/// <summary>A move a policy asks for: the partition and the index of its target node.</summary>
public readonly record struct SimMove(int Partition, int Target);

/// <summary>What a policy decided at a tick.</summary>
public sealed class PolicyActions
{
    public static readonly PolicyActions None = new();

    public List<SimMove> Moves { get; } = [];

    /// <summary>Nodes to provision (ready after the scenario's provisioning minutes).</summary>
    public int AddNodes { get; set; }

    /// <summary>Node indices to drain and then remove.</summary>
    public List<int> Drain { get; } = [];

    /// <summary>The policy ran a planning cycle (its time counts in plan_ms).</summary>
    public bool Planned { get; set; }
}

/// <summary>
/// What a policy sees at a tick: the nodes, where each partition is served and where it is being moved, the load of
/// the tick just past, and each partition's load per completed step (never the future).
/// </summary>
public sealed class ClusterView
{
    private readonly DemandSet _demand;

    internal ClusterView(DemoScenario scenario, DemandSet demand, List<SimNode> nodes, int[] owner, int[] movingTo)
    {
        Scenario = scenario;
        _demand = demand;
        Nodes = nodes;
        Owner = owner;
        MovingTo = movingTo;
        PartitionLoad = new double[demand.Partitions];
        NodeLoad = new double[256];
    }

    public DemoScenario Scenario { get; }

    public int Partitions => _demand.Partitions;

    public IReadOnlyList<SimNode> Nodes { get; }

    /// <summary>The node index serving each partition now.</summary>
    public int[] Owner { get; }

    /// <summary>The node index each partition is being moved (or waits to be moved) to; -1 where none.</summary>
    public int[] MovingTo { get; }

    public int Tick { get; internal set; }

    public int Step => Tick / Scenario.TicksPerStep;

    /// <summary>The first tick of a step: when step-driven policies decide.</summary>
    public bool StepStart => Tick % Scenario.TicksPerStep == 0;

    /// <summary>Each partition's demand over the tick just past (ops/s); zeros before the first tick.</summary>
    public double[] PartitionLoad { get; }

    /// <summary>Each node's load over the tick just past (ops/s, copy load included), by node index.</summary>
    public double[] NodeLoad { get; internal set; }

    /// <summary>Steps observed so far, the warm-up included: history steps 0 to this minus one.</summary>
    public int ObservedSteps => _demand.WarmupSteps + Step;

    /// <summary>A partition's load at an observed step (0 = the first warm-up step).</summary>
    public double Observed(int historyStep, int partition)
    {
        if ((uint)historyStep >= (uint)ObservedSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(historyStep), $"step {historyStep} is not observed yet ({ObservedSteps} are)");
        }

        return _demand.Load[historyStep * _demand.Partitions + partition];
    }

    public double SizeBytes(int partition) => _demand.SizeBytes[partition];

    public int Tenant(int partition) => _demand.Tenant[partition];

    /// <summary>Where a partition will be once its move (if any) is done.</summary>
    public int Destination(int partition) => MovingTo[partition] >= 0 ? MovingTo[partition] : Owner[partition];
}

/// <summary>A rebalancing policy: called every simulated minute; decides moves and node changes.</summary>
public interface IRebalancePolicy
{
    string Name { get; }

    ValueTask<PolicyActions> DecideAsync(ClusterView view, CancellationToken cancellation);
}
