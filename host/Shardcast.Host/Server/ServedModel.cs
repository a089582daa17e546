using Shardcast.Models.Neural;

namespace Shardcast.Host.Server;

/// <summary>One version of the LSTM a server forecasts with: its number, since when, and why it became the served one.</summary>
public sealed record ModelVersion(int Number, LstmNetwork Network, DateTimeOffset Since, string Reason);

/// <summary>
/// The LSTM the server forecasts and plans with: the shipped model (version 1) until an adaptation keeps a
/// fine-tuned one, the version before it kept for a roll-back. Readers take <see cref="Current"/> once per request,
/// so a request is served by one version throughout and a swap never waits for a request.
/// </summary>
public sealed class ServedModel(LstmNetwork initial, string reason, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private ModelVersion _current = new(1, initial, clock.GetUtcNow(), reason);
    private ModelVersion? _previous;
    private int _newest = 1;

    /// <summary>The shipped model: version 1, what a roll-back from version 2 returns to.</summary>
    public ModelVersion Shipped { get; } = new(1, initial, clock.GetUtcNow(), reason);

    /// <summary>Raised after the served version changed (forecasters kept open on the old one are dropped).</summary>
    public event Action<ModelVersion>? Changed;

    public ModelVersion Current => Volatile.Read(ref _current);

    /// <summary>The version a roll-back returns to, or null.</summary>
    public ModelVersion? Previous
    {
        get
        {
            lock (_lock)
            {
                return _previous;
            }
        }
    }

    /// <summary>Serves a new network as the next version number; the one it replaces becomes the roll-back.</summary>
    public ModelVersion Adopt(LstmNetwork network, string reason)
    {
        ModelVersion adopted;
        lock (_lock)
        {
            _previous = _current;
            adopted = new ModelVersion(++_newest, network, clock.GetUtcNow(), reason);
            Volatile.Write(ref _current, adopted);
        }

        Changed?.Invoke(adopted);
        return adopted;
    }

    /// <summary>At start: serves a version kept from an earlier run (its number and reason as they were), with the version a roll-back returns to where that was kept too.</summary>
    public void Resume(ModelVersion kept, ModelVersion? previous = null)
    {
        ArgumentNullException.ThrowIfNull(kept);
        lock (_lock)
        {
            _previous = previous;
            _newest = Math.Max(_newest, kept.Number);
            Volatile.Write(ref _current, kept);
        }
    }

    /// <summary>Serves the previous version again (its number kept, so clients see which one returned); false where there is none.</summary>
    public bool RollBack(string reason)
    {
        ModelVersion restored;
        lock (_lock)
        {
            if (_previous is null)
            {
                return false;
            }

            restored = _previous with { Since = clock.GetUtcNow(), Reason = reason };
            _previous = null;
            Volatile.Write(ref _current, restored);
        }

        Changed?.Invoke(restored);
        return true;
    }
}
