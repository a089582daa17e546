using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Migration;

/// <summary>
/// The write path's gate, one state per hash slot: what makes a migration safe on servers that offer neither a
/// write fence nor change tracking (Garnet has no CLIENT PAUSE and no keyspace notifications). Every write of a
/// managed cluster passes it. While a slot is being copied, the gate records each written key as dirty before the
/// write is sent (so the mover copies it again); while the slot is fenced, no write is admitted: it waits for the
/// fence to lift, and past the fence's timeout it fails with a retryable error, never acknowledged. The mover fences
/// only after the writes in flight have drained.
/// </summary>
public sealed class SlotGate
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, SlotState> _moving = [];

    // Writes in flight that were admitted while their slot was not moving, per slot: a move starts only once those
    // of its slot have finished, since they follow redirects and the source is about to start redirecting new keys.
    private readonly int[] _ungated = new int[HashSlots.Count];

    /// <summary>How long a write waits at a fence before it is refused (retryable).</summary>
    public TimeSpan FenceWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the slot is being moved (copied or fenced).</summary>
    public bool IsMoving(int slot)
    {
        lock (_lock)
        {
            return _moving.ContainsKey(slot);
        }
    }

    /// <summary>Admits a write of <paramref name="key"/>: records it dirty where its slot is being copied, waits where it is fenced.</summary>
    public async ValueTask<WritePass> EnterAsync(string key, CancellationToken cancellation = default)
    {
        int slot = HashSlots.Of(key);
        while (true)
        {
            Task fenceLifted;
            lock (_lock)
            {
                if (!_moving.TryGetValue(slot, out var state))
                {
                    _ungated[slot]++;
                    return new WritePass(this, slot, null);
                }

                if (!state.Fenced)
                {
                    state.Dirty.Add(key);
                    state.InFlight++;
                    return new WritePass(this, slot, state, key);
                }

                fenceLifted = state.Lifted.Task;
            }

            try
            {
                await fenceLifted.WaitAsync(FenceWait, cancellation).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new SlotMovingException(slot, $"slot {slot} is fenced for a move longer than {FenceWait.TotalSeconds:0.#} s; the write was not made, retry it");
            }
        }
    }

    /// <summary>
    /// Starts recording the slot's writes as dirty (and holding those the source would redirect), then waits for the
    /// writes admitted before to finish; false if they did not within <paramref name="drain"/> (the slot is then not
    /// moving). Call it before the source starts redirecting: a write admitted earlier follows redirects.
    /// </summary>
    public async Task<bool> BeginCopyAsync(int slot, TimeSpan drain, CancellationToken cancellation = default)
    {
        lock (_lock)
        {
            if (!_moving.TryAdd(slot, new SlotState()))
            {
                throw new InvalidOperationException($"slot {slot} is already being moved");
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (Volatile.Read(ref _ungated[slot]) > 0)
            {
                if (clock.Elapsed > drain)
                {
                    End(slot);
                    return false;
                }

                await Task.Delay(1, cancellation).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The caller has not been told the slot is gated, so it will not end it: a slot left here would record
            // every later write as dirty and refuse the next move of the slot as already moving.
            End(slot);
            throw;
        }

        return true;
    }

    /// <summary>The keys written since the last call, and forgets them.</summary>
    public IReadOnlyCollection<string> TakeDirty(int slot)
    {
        lock (_lock)
        {
            var state = _moving[slot];
            var dirty = state.Dirty.ToArray();
            state.Dirty.Clear();
            return dirty;
        }
    }

    /// <summary>Stops admitting writes to the slot and waits for those in flight; false if they did not drain in time (the fence is lifted again).</summary>
    public async Task<bool> FenceAsync(int slot, TimeSpan drain, CancellationToken cancellation = default)
    {
        Task drained;
        lock (_lock)
        {
            var state = _moving[slot];
            state.Fenced = true;
            drained = state.InFlight == 0 ? Task.CompletedTask : (state.Drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        try
        {
            await drained.WaitAsync(drain, cancellation).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            Lift(slot, keepCopying: true);
            return false;
        }
    }

    /// <summary>Ends the slot's move, done or rolled back: writes flow again (held ones are retried by their writers).</summary>
    public void End(int slot) => Lift(slot, keepCopying: false);

    private void Lift(int slot, bool keepCopying)
    {
        lock (_lock)
        {
            if (!_moving.TryGetValue(slot, out var state))
            {
                return;
            }

            state.Fenced = false;
            state.Lifted.TrySetResult();
            state.Lifted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!keepCopying)
            {
                _moving.Remove(slot);
                state.Ended.TrySetResult();
            }
        }
    }

    /// <summary>Completes when the slot's move has ended (at once where none is under way).</summary>
    public Task WhenEndedAsync(int slot)
    {
        lock (_lock)
        {
            return _moving.TryGetValue(slot, out var state) ? state.Ended.Task : Task.CompletedTask;
        }
    }

    internal void ExitUngated(int slot)
    {
        lock (_lock)
        {
            _ungated[slot]--;
        }
    }

    internal void Exit(SlotState state, string key)
    {
        lock (_lock)
        {
            // Dirty again once made: a copy round that took the key while its write was in flight copied the value
            // before it (found by concurrent moves: a verify failed on a key written while its round ran).
            state.Dirty.Add(key);
            if (--state.InFlight == 0 && state.Fenced)
            {
                state.Drained?.TrySetResult();
            }
        }
    }

    internal sealed class SlotState
    {
        public HashSet<string> Dirty { get; } = new(StringComparer.Ordinal);

        public int InFlight { get; set; }

        public bool Fenced { get; set; }

        public TaskCompletionSource? Drained { get; set; }

        public TaskCompletionSource Lifted { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A write admitted by the gate; disposing it (when the store has answered) lets a fence drain.</summary>
public readonly struct WritePass : IDisposable
{
    private readonly SlotGate? _gate;
    private readonly SlotGate.SlotState? _state;
    private readonly string? _key;

    internal WritePass(SlotGate gate, int slot, SlotGate.SlotState? state, string? key = null)
    {
        _gate = gate;
        Slot = slot;
        _state = state;
        _key = key;
    }

    /// <summary>Whether the slot was being copied when the write was admitted (its key is then recorded dirty).</summary>
    public bool Copying => _state is not null;

    public int Slot { get; }

    public void Dispose()
    {
        if (_state is not null)
        {
            _gate!.Exit(_state, _key!);
        }
        else
        {
            _gate?.ExitUngated(Slot);
        }
    }
}
