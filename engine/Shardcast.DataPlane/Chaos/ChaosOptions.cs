namespace Shardcast.DataPlane.Chaos;

/// <summary>How many schedules, from which seed, and how much each one writes.</summary>
public sealed record ChaosOptions
{
    public int Schedules { get; init; } = 20;

    public ulong Seed { get; init; } = 1;

    /// <summary>Keys preloaded in the moved slot; writers write these and half as many new ones.</summary>
    public int Keys { get; init; } = 200;

    /// <summary>Concurrent writers, each owning its own keys (so the last acknowledged value of a key is well defined).</summary>
    public int Writers { get; init; } = 3;

    /// <summary>Concurrent readers checking that no read returns a value older than one acknowledged before it began.</summary>
    public int Readers { get; init; } = 2;

    /// <summary>Where each schedule's journal is kept.</summary>
    public string Folder { get; init; } = Path.GetTempPath();

    public void Validate()
    {
        if (Schedules < 1 || Keys < 1 || Writers < 1 || Readers < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Schedules), "schedules, keys and writers must be at least 1, readers not negative");
        }
    }
}
