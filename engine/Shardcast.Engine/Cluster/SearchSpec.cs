namespace Shardcast.Engine.Cluster;

public sealed record SearchSpec(string Backend, int TimeMs, ulong Seed, string Algorithm)
{
    public static SearchSpec Default { get; } = new("auto", 2000, 1, "anneal");
}
