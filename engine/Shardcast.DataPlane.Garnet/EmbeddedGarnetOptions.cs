namespace Shardcast.DataPlane.Garnet;

/// <summary>How many Garnet servers to start in process, where they keep their files, and how much memory each takes.</summary>
public sealed record EmbeddedGarnetOptions
{
    public const int MaxNodes = 64;

    /// <summary>Primaries to start (1 to 64); the slots are split evenly among them.</summary>
    public int Nodes { get; init; } = 3;

    /// <summary>Where each server keeps its checkpoints (a folder per node); by default a temporary folder, removed after.</summary>
    public string? Folder { get; init; }

    /// <summary>Each server's log memory (Garnet's size syntax).</summary>
    public string MemorySize { get; init; } = "64m";

    /// <summary>Each server's hash index (Garnet's size syntax).</summary>
    public string IndexSize { get; init; } = "16m";

    /// <summary>How long the servers may take to see each other and every slot covered.</summary>
    public TimeSpan FormTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public void Validate()
    {
        if (Nodes is < 1 or > MaxNodes)
        {
            throw new ArgumentOutOfRangeException(nameof(Nodes), Nodes, $"an embedded Garnet cluster has 1 to {MaxNodes} nodes");
        }

        if (!(FormTimeout > TimeSpan.Zero))
        {
            throw new ArgumentOutOfRangeException(nameof(FormTimeout), FormTimeout, "the time to form must be positive");
        }
    }
}
