using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Execution;

/// <summary>
/// A store under Shardcast's management: its connections, the gate every write goes through, the client layer that
/// counts traffic per slot, the move journal (recovered from when the store is taken on), and at most one plan
/// execution at a time. The CLI's `rebalance` and the socket's `execute` both drive a store through it.
/// </summary>
public sealed class ManagedStore : IAsyncDisposable
{
    private readonly IAsyncDisposable? _owner;
    private readonly Lock _lock = new();
    private PlanExecution? _execution;
    private long _executions;

    private ManagedStore(string name, StoreCluster store, IAsyncDisposable? owner, MoveJournal journal, RecoveryReport recovered)
    {
        Name = name;
        Store = store;
        _owner = owner;
        Journal = journal;
        Recovered = recovered;
        Gate = new SlotGate();
        Traffic = new SlotTraffic();
        Client = new GatedClient(store.Data.GetDatabase(), Gate, Traffic);
    }

    /// <summary>What the store is called in routing and on the socket (the cluster name).</summary>
    public string Name { get; }

    public StoreCluster Store { get; }

    public SlotGate Gate { get; }

    public SlotTraffic Traffic { get; }

    /// <summary>Shardcast's client for the store's keys: every write through the gate, every operation counted.</summary>
    public GatedClient Client { get; }

    public MoveJournal Journal { get; }

    /// <summary>What recovery did with the moves the journal had left open when the store was taken on.</summary>
    public RecoveryReport Recovered { get; }

    /// <summary>Takes a store on: recovers every move its journal left open, so that no slot stays in transit.</summary>
    /// <param name="owner">What started the store (an embedded cluster, child processes), disposed with it; null for a cluster attached by address.</param>
    public static async Task<ManagedStore> TakeOnAsync(string name, StoreCluster store, IAsyncDisposable? owner, string journalPath, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var journal = new MoveJournal(journalPath);
        var recovered = await MoveRecovery.RecoverAsync(store, journal, TimeSpan.FromSeconds(10), cancellation).ConfigureAwait(false);
        return new ManagedStore(name, store, owner, journal, recovered);
    }

    /// <summary>The store as the planner sees it, with the traffic counted since the last snapshot.</summary>
    public Task<StoreSnapshot> SnapshotAsync(int partitions, CancellationToken cancellation = default) =>
        StoreSnapshot.ReadAsync(Store, partitions, Traffic.Take(), cancellation);

    /// <summary>The execution running or last run, with its number (1 for the first).</summary>
    public (PlanExecution? Execution, long Number) Current
    {
        get
        {
            lock (_lock)
            {
                return (_execution, _executions);
            }
        }
    }

    /// <summary>Starts a plan; while another runs, the new plan is reconciled with it instead (<see cref="PlanExecution.Replace"/>).</summary>
    public (PlanExecution Execution, long Number, bool Replaced) Execute(MigrationPlan plan, ExecutorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_lock)
        {
            if (_execution is { Completion.IsCompleted: false } running)
            {
                try
                {
                    running.Replace(plan);
                    return (running, _executions, true);
                }
                catch (InvalidOperationException) when (running.Completion.IsCompleted)
                {
                    // It ended between the check and the call: the plan starts afresh below.
                }
            }

            _execution = new PlanExecution(Store, Gate, plan, options, Journal).Start();
            return (_execution, ++_executions, false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Current.Execution is { Completion.IsCompleted: false } running)
        {
            running.Cancel();
            await running.Completion.ConfigureAwait(false);
        }

        // What started the store closes its connections with it.
        await (_owner ?? Store).DisposeAsync().ConfigureAwait(false);
    }
}
