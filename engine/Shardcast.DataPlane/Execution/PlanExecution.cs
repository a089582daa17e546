using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Execution;

/// <summary>
/// Carries out a <see cref="MigrationPlan"/> on a store, slot by slot through the <see cref="SlotMover"/>: waves in
/// order (a wave starts when every move of the one before has ended), at most
/// <see cref="ExecutorOptions.MaxConcurrentMoves"/> moves at once and <see cref="ExecutorOptions.MaxMovesPerNode"/> per
/// node, the plan's bytes throttled. A partition's range moves whole or not at all: a move that fails or is cancelled
/// part way takes the slots it had already moved back to where they were. Pause lets the slots in flight finish and
/// starts no more; cancel rolls back the moves in flight. A new plan (<see cref="Replace"/>) replaces the moves not
/// yet started; moves in flight finish first, and a replaced move starts from wherever its range is by then.
/// </summary>
public sealed class PlanExecution
{
    private const int EventsKept = 10_000;

    private readonly StoreCluster _store;
    private readonly SlotMover _mover;
    private readonly ExecutorOptions _options;
    private readonly TimeProvider _clock;
    private readonly ByteThrottle _throttle;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _cancel = new();
    private readonly Queue<ExecutionEvent> _events = new();
    private readonly List<RangeMove> _pending;
    private readonly Dictionary<RangeMove, IReadOnlySet<string>> _running = [];
    private readonly List<RangeMove> _done = [];
    private readonly List<RangeMove> _skipped = [];
    private readonly List<(RangeMove, string)> _failed = [];
    private readonly List<string> _warnings = [];
    private TaskCompletionSource _signal = NewSignal();
    private TaskCompletionSource _resumed = NewSignal();
    private long _sequence;
    private int _wave = -1;
    private bool _paused;
    private long _slotsMoved;
    private long _keysCopied;
    private double _bytesTotal;
    private double _bytesDone;
    private int _peakRunning;
    private int _peakPerNode;

    public PlanExecution(StoreCluster store, SlotGate gate, MigrationPlan plan, ExecutorOptions? options = null, MoveJournal? journal = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(plan);
        _options = options ?? new ExecutorOptions();
        _options.Validate();
        _store = store;
        _clock = clock ?? TimeProvider.System;
        _throttle = new ByteThrottle(_options.BytesPerSecond, _clock);
        _mover = new SlotMover(store, gate, journal, _options.Mover) { BeforeStep = (step, slot) => BeforeStep?.Invoke(step, slot) ?? Task.CompletedTask };
        _pending = [.. plan.Moves];
        _bytesTotal = plan.Bytes;
        _resumed.SetResult();
    }

    /// <summary>Called with every event as it happens (the CLI's progress display); it runs on the executor's tasks, so it must be quick.</summary>
    public event Action<ExecutionEvent>? Happened;

    /// <summary>Called before each slot's protocol step (fault injection for tests).</summary>
    public Func<MoveStep, int, Task>? BeforeStep { get; init; }

    /// <summary>The execution, once <see cref="Start"/> has been called; its report when it has ended.</summary>
    public Task<ExecutionReport> Completion { get; private set; } = Task.FromException<ExecutionReport>(new InvalidOperationException("the execution has not been started"));

    public PlanExecution Start()
    {
        Completion = Task.Run(RunAsync);
        return this;
    }

    public ExecutionProgress Progress
    {
        get
        {
            lock (_lock)
            {
                var state = Completion.IsCompleted ? (_cancel.IsCancellationRequested ? ExecutionState.Cancelled : ExecutionState.Finished)
                    : _cancel.IsCancellationRequested ? ExecutionState.Cancelling
                    : _paused ? ExecutionState.Paused : ExecutionState.Running;
                int total = _done.Count + _skipped.Count + _failed.Count + _running.Count + _pending.Count;
                return new ExecutionProgress(state, _wave, total, _done.Count, _skipped.Count, _failed.Count, _running.Count, _slotsMoved, _keysCopied, _bytesTotal, _bytesDone);
            }
        }
    }

    /// <summary>The events numbered after <paramref name="sequence"/> (0 for all kept; the newest 10,000 are kept).</summary>
    public IReadOnlyList<ExecutionEvent> EventsAfter(long sequence)
    {
        lock (_lock)
        {
            return [.. _events.Where(e => e.Sequence > sequence)];
        }
    }

    /// <summary>Starts no more slots; the slots in flight finish. Returns false when already paused or ended.</summary>
    public bool Pause()
    {
        lock (_lock)
        {
            if (_paused || Completion.IsCompleted || _cancel.IsCancellationRequested)
            {
                return false;
            }

            _paused = true;
            _resumed = NewSignal();
            Emit(ExecutionEventKinds.Paused);
        }

        return true;
    }

    public bool Resume()
    {
        TaskCompletionSource resumed;
        lock (_lock)
        {
            if (!_paused)
            {
                return false;
            }

            _paused = false;
            resumed = _resumed;
            Emit(ExecutionEventKinds.Resumed);
        }

        resumed.TrySetResult();
        Wake();
        return true;
    }

    /// <summary>Rolls back the moves in flight and starts no more. Returns false when already ended or cancelling.</summary>
    public bool Cancel()
    {
        lock (_lock)
        {
            if (Completion.IsCompleted || _cancel.IsCancellationRequested)
            {
                return false;
            }

            Emit(ExecutionEventKinds.Cancelling);
        }

        _cancel.Cancel();
        _resumed.TrySetResult();
        Wake();
        return true;
    }

    /// <summary>
    /// Reconciles a new plan with this one: the moves not yet started are replaced by the new plan's; moves in flight
    /// finish, and a new move of a partition (or of slots) in flight waits for it and then starts from wherever the
    /// range is. A new move whose range already sits on its target is skipped when its turn comes.
    /// </summary>
    public void Replace(MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_lock)
        {
            if (Completion.IsCompleted)
            {
                throw new InvalidOperationException("the execution has ended; start a new one");
            }

            var runningTargets = _running.Keys.ToDictionary(m => m.Partition, m => m.Target, StringComparer.Ordinal);
            _pending.Clear();
            _pending.AddRange(plan.Moves.Where(m => !(runningTargets.TryGetValue(m.Partition, out string? target) && target == m.Target)));
            _bytesTotal = _bytesDone + _running.Keys.Sum(m => m.Bytes) + _pending.Sum(m => m.Bytes);
            Emit(ExecutionEventKinds.Replanned, detail: $"{_pending.Count} moves pending, {_running.Count} in flight");
        }

        Wake();
    }

    private async Task<ExecutionReport> RunAsync()
    {
        long started = _clock.GetTimestamp();
        var tasks = new Dictionary<RangeMove, Task>();
        bool stop = false;
        while (true)
        {
            Task signal;
            List<(RangeMove Move, SlotMap Map)> starting = [];
            SlotMap? map = null;
            lock (_lock)
            {
                signal = _signal.Task;
                if (tasks.Count == 0 && (_pending.Count == 0 || stop || _cancel.IsCancellationRequested))
                {
                    break;
                }
            }

            if (!stop && !_cancel.IsCancellationRequested && !_paused && HasRoom())
            {
                map = await _store.ReadSlotMapAsync().ConfigureAwait(false);
            }

            lock (_lock)
            {
                if (map is not null && !_paused && !_cancel.IsCancellationRequested)
                {
                    starting = Schedule(map);
                }
            }

            foreach (var (move, at) in starting)
            {
                tasks[move] = RunMoveAsync(move, at);
            }

            if (tasks.Count == 0 && !_paused && !_cancel.IsCancellationRequested)
            {
                // Nothing runs and nothing started: every move looked at was skipped (its range already in place), and
                // with nothing running the next pass starts or skips another, so this ends.
                continue;
            }

            await Task.WhenAny([.. tasks.Values, signal]).ConfigureAwait(false);
            foreach (var (move, task) in tasks.Where(t => t.Value.IsCompleted).ToList())
            {
                tasks.Remove(move);
                lock (_lock)
                {
                    _running.Remove(move);
                    if (task.IsFaulted)
                    {
                        _failed.Add((move, task.Exception!.InnerException?.Message ?? task.Exception.Message));
                    }

                    stop |= _failed.Count > 0 && !_options.ContinueOnFailure;
                }
            }
        }

        lock (_lock)
        {
            Emit(ExecutionEventKinds.Finished, detail: _cancel.IsCancellationRequested ? "cancelled" : $"{_done.Count} done, {_skipped.Count} skipped, {_failed.Count} failed");
        }

        var progress = Progress with { State = _cancel.IsCancellationRequested ? ExecutionState.Cancelled : ExecutionState.Finished, MovesRunning = 0 };
        lock (_lock)
        {
            return new ExecutionReport(progress, [.. _done], [.. _skipped], [.. _failed], [.. _warnings], _peakRunning, _peakPerNode, _clock.GetElapsedTime(started));
        }
    }

    private bool HasRoom()
    {
        lock (_lock)
        {
            return _pending.Count > 0 && _running.Count < _options.MaxConcurrentMoves;
        }
    }

    /// <summary>The pending moves of the current wave that fit the limits now; called under the lock.</summary>
    private List<(RangeMove, SlotMap)> Schedule(SlotMap map)
    {
        var starting = new List<(RangeMove, SlotMap)>();
        int wave = _pending.Concat(_running.Keys).Min(m => m.Wave);
        if (wave != _wave)
        {
            _wave = wave;
            Emit(ExecutionEventKinds.WaveStarted, detail: $"wave {wave}: {_pending.Count(m => m.Wave == wave)} moves");
        }

        var perNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var nodes in _running.Values)
        {
            foreach (string node in nodes)
            {
                perNode[node] = perNode.GetValueOrDefault(node) + 1;
            }
        }

        foreach (var move in _pending.Where(m => m.Wave == wave).ToList())
        {
            if (_running.Count >= _options.MaxConcurrentMoves)
            {
                break;
            }

            if (_running.Keys.Any(r => r.Partition == move.Partition || Overlap(r.Range, move.Range)))
            {
                continue;
            }

            var owners = new HashSet<string>(StringComparer.Ordinal);
            for (int slot = move.Range.First; slot <= move.Range.Last; slot++)
            {
                if (map.Owner(slot) is { } owner && owner.Id != move.Target)
                {
                    owners.Add(owner.Id);
                }
            }

            if (owners.Count == 0)
            {
                _pending.Remove(move);
                _skipped.Add(move);
                _bytesTotal -= move.Bytes;
                Emit(ExecutionEventKinds.MoveSkipped, move.Partition, detail: "its slots are on the target already");
                continue;
            }

            owners.Add(move.Target);
            if (owners.Any(n => perNode.GetValueOrDefault(n) >= _options.MaxMovesPerNode))
            {
                continue;
            }

            foreach (string node in owners)
            {
                perNode[node] = perNode.GetValueOrDefault(node) + 1;
                _peakPerNode = Math.Max(_peakPerNode, perNode[node]);
            }

            _pending.Remove(move);
            _running[move] = owners;
            _peakRunning = Math.Max(_peakRunning, _running.Count);
            starting.Add((move, map));
            Emit(ExecutionEventKinds.MoveStarted, move.Partition, detail: move.ToString());
        }

        return starting;
    }

    private static bool Overlap(SlotRange a, SlotRange b) => a.First <= b.Last && b.First <= a.Last;

    /// <summary>Moves one range slot by slot; on a failure or a cancel, takes the slots it moved back to their owners.</summary>
    private async Task RunMoveAsync(RangeMove move, SlotMap map)
    {
        await Task.Yield();
        var target = map.Nodes.FirstOrDefault(n => n.Id == move.Target)
            ?? throw new InvalidOperationException($"the target of {move.Partition}, node {move.Target}, is not a primary of the store");
        var moved = new List<(int Slot, StoreNode From, double Bytes)>();
        try
        {
            var keys = new long[move.Range.Count];
            for (int slot = move.Range.First; slot <= move.Range.Last; slot++)
            {
                if (map.Owner(slot) is { } owner && owner.Id != move.Target)
                {
                    keys[slot - move.Range.First] = (long)await _store.ExecuteAsync(owner.EndPoint, "CLUSTER", "COUNTKEYSINSLOT", slot).ConfigureAwait(false);
                }
            }

            long rangeKeys = keys.Sum();
            for (int slot = move.Range.First; slot <= move.Range.Last; slot++)
            {
                if (map.Owner(slot) is not { } owner || owner.Id == move.Target)
                {
                    continue;
                }

                await WhileUnpausedAsync().ConfigureAwait(false);
                _cancel.Token.ThrowIfCancellationRequested();
                double bytes = rangeKeys == 0 ? move.Bytes / move.Range.Count : move.Bytes * keys[slot - move.Range.First] / rangeKeys;
                await _throttle.WaitAsync(bytes, _cancel.Token).ConfigureAwait(false);
                var report = await MoveSlotAsync(move, slot, owner, target).ConfigureAwait(false);
                moved.Add((slot, owner, bytes));
                lock (_lock)
                {
                    _slotsMoved++;
                    _keysCopied += report.KeysCopied;
                    _bytesDone += bytes;
                    _warnings.AddRange(report.Warnings);
                    Emit(ExecutionEventKinds.SlotMoved, move.Partition, slot, $"{report.KeysVerified} keys");
                }
            }

            lock (_lock)
            {
                _done.Add(move);
                Emit(ExecutionEventKinds.MoveDone, move.Partition, detail: move.ToString());
            }
        }
        catch (Exception e) when (e is MoveFailedException or OperationCanceledException or StoreCommandException or IOException or System.Net.Sockets.SocketException or StackExchange.Redis.RedisException)
        {
            string reason = _cancel.IsCancellationRequested ? "cancelled" : e.Message;
            await TakeBackAsync(move, moved, target).ConfigureAwait(false);
            lock (_lock)
            {
                Emit(ExecutionEventKinds.MoveFailed, move.Partition, detail: reason);
            }

            throw new MoveFailedException(moved.Count > 0 ? moved[^1].Slot : move.Range.First, MoveStep.Prepare, $"{move}: {reason}", e);
        }
    }

    /// <summary>One slot's move, tried again where it failed before its flip (rolled back: the source kept the slot) and was not cancelled.</summary>
    private async Task<MoveReport> MoveSlotAsync(RangeMove move, int slot, StoreNode owner, StoreNode target)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await _mover.MoveAsync(slot, owner, target, _cancel.Token).ConfigureAwait(false);
            }
            catch (MoveFailedException e) when (attempt < _options.SlotRetries && e.Step < MoveStep.Flip && !_cancel.IsCancellationRequested && e.InnerException is not SimulatedCrashException)
            {
                lock (_lock)
                {
                    _warnings.Add($"{move.Partition}: slot {slot} tried again after: {e.Message}");
                }
            }
            catch (MoveFailedException e) when (!e.RolledBack && e.Flip is not null)
            {
                // The flip got no answer: the slot stays fenced until the target says whether it took the slot (a
                // long-running server would otherwise hold the slot's writes until its next start's recovery).
                bool? settled = await _mover.SettleFlipAsync(e, _options.Mover.FlipSettleWait).ConfigureAwait(false);
                string outcome = settled switch
                {
                    true => "the target owned it when it answered again: the move was finished",
                    false => "the target did not own it when it answered again: the move was rolled back",
                    null => $"the target did not answer within {_options.Mover.FlipSettleWait.TotalSeconds:0.#} s: the slot stays fenced for recovery",
                };
                lock (_lock)
                {
                    _warnings.Add($"{move.Partition}: slot {slot}'s flip got no answer; {outcome}");
                }

                if (settled == true)
                {
                    return new MoveReport(slot, owner, target, 0, 0, 0, [$"slot {slot}: the flip's answer was lost; the target owned the slot"]);
                }

                if (settled == false)
                {
                    throw new MoveFailedException(slot, MoveStep.Flip, $"the flip got no answer and the target did not take the slot ({e.Message})", e);
                }

                throw;
            }
        }
    }

    /// <summary>Moves the slots already moved back to where they were, newest first, so the partition is whole again.</summary>
    private async Task TakeBackAsync(RangeMove move, List<(int Slot, StoreNode From, double Bytes)> moved, StoreNode target)
    {
        for (int i = moved.Count - 1; i >= 0; i--)
        {
            var (slot, from, bytes) = moved[i];
            try
            {
                await _mover.MoveAsync(slot, target, from, CancellationToken.None).ConfigureAwait(false);
                lock (_lock)
                {
                    _slotsMoved--;
                    _bytesDone -= bytes;
                }
            }
            catch (Exception e) when (e is MoveFailedException or StoreCommandException or IOException or System.Net.Sockets.SocketException)
            {
                lock (_lock)
                {
                    _warnings.Add($"{move.Partition}: slot {slot} could not be taken back to {from} ({e.Message}); the partition is split between {from} and {target}");
                }
            }
        }

        if (moved.Count > 0)
        {
            lock (_lock)
            {
                Emit(ExecutionEventKinds.MoveRolledBack, move.Partition, detail: $"{moved.Count} slots taken back");
            }
        }
    }

    private Task WhileUnpausedAsync()
    {
        lock (_lock)
        {
            return _resumed.Task;
        }
    }

    private void Emit(string kind, string? partition = null, int? slot = null, string? detail = null)
    {
        var e = new ExecutionEvent(++_sequence, _clock.GetUtcNow(), kind, partition, slot, detail);
        _events.Enqueue(e);
        if (_events.Count > EventsKept)
        {
            _events.Dequeue();
        }

        Happened?.Invoke(e);
    }

    private void Wake()
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            signal = _signal;
            _signal = NewSignal();
        }

        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
