namespace Shardcast.Engine.Generation;

/// <summary>Size and character of a synthetic cluster.</summary>
/// <param name="TargetUtilisation">Mean peak utilisation of the nodes that may hold partitions.</param>
public sealed record GeneratorOptions(int Partitions, int Nodes, int Steps, int Resources, ulong Seed, double TargetUtilisation = 0.6)
{
    /// <summary>The generator's resource kinds (read and write rates and bytes, cpu, memory, disk iops, network).</summary>
    public const int MaxResources = 8;

    public void Validate()
    {
        if (Partitions < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Partitions), Partitions, "--partitions must be at least 1");
        }

        if (Nodes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Nodes), Nodes, "--nodes must be at least 1");
        }

        if (Steps is < 1 or > Cluster.ClusterSpec.MaxHorizonSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"--horizon must lie in [1, {Cluster.ClusterSpec.MaxHorizonSteps}]");
        }

        if (Resources is < 1 or > MaxResources)
        {
            throw new ArgumentOutOfRangeException(nameof(Resources), Resources, $"--resources must lie in [1, {MaxResources}]");
        }

        if (TargetUtilisation is <= 0 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(TargetUtilisation), TargetUtilisation, "the target utilisation must lie in (0, 2]");
        }
    }
}
