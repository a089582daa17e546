namespace Shardcast.DataPlane.Workload;

/// <summary>A synthetic key-value workload with a hot region, to observe and rebalance a store under load.</summary>
public sealed record WorkloadOptions
{
    /// <summary>Keys written before the workload starts.</summary>
    public int Keys { get; init; } = 20_000;

    /// <summary>Client tasks; each owns the keys k with k % Clients == its number, so a key's last acknowledged value is well defined.</summary>
    public int Clients { get; init; } = 4;

    /// <summary>Operations per second over all clients; 0 for as fast as the store answers.</summary>
    public double OperationsPerSecond { get; init; } = 2_000;

    /// <summary>Share of operations that are writes (the rest are reads).</summary>
    public double WriteShare { get; init; } = 0.5;

    /// <summary>Share of keys in the hot region.</summary>
    public double HotKeyShare { get; init; } = 0.1;

    /// <summary>Share of operations on the hot region's keys.</summary>
    public double HotOperationShare { get; init; } = 0.6;

    /// <summary>The hot region: its keys hash to slots first..last.</summary>
    public int HotFirstSlot { get; init; }

    public int HotLastSlot { get; init; } = 2_730;

    /// <summary>Value sizes are drawn from min..max bytes (log-uniform: many small, some large).</summary>
    public int MinValueBytes { get; init; } = 32;

    public int MaxValueBytes { get; init; } = 2_048;

    public ulong Seed { get; init; } = 1;

    internal void Validate()
    {
        string? refused =
            Keys < 1 ? $"Keys must be at least 1, found {Keys}" :
            Clients < 1 ? $"Clients must be at least 1, found {Clients}" :
            !double.IsFinite(OperationsPerSecond) || OperationsPerSecond < 0 ? $"OperationsPerSecond must be a finite number >= 0, found {OperationsPerSecond}" :
            WriteShare is < 0 or > 1 or double.NaN ? $"WriteShare must be in [0, 1], found {WriteShare}" :
            HotKeyShare is < 0 or > 1 or double.NaN ? $"HotKeyShare must be in [0, 1], found {HotKeyShare}" :
            HotOperationShare is < 0 or > 1 or double.NaN ? $"HotOperationShare must be in [0, 1], found {HotOperationShare}" :
            HotFirstSlot < 0 || HotLastSlot >= Store.HashSlots.Count || HotFirstSlot > HotLastSlot ? $"the hot region {HotFirstSlot}-{HotLastSlot} is not a slot range" :
            MinValueBytes < 1 || MaxValueBytes < MinValueBytes ? $"value sizes {MinValueBytes}-{MaxValueBytes} are not a range of positive sizes" :
            null;
        if (refused is not null)
        {
            throw new ArgumentException(refused);
        }
    }
}
