namespace Shardcast.Engine.Cluster;

public sealed record ObjectiveSpec(double WBalance, double WOver, double Theta, double WMove, double WAffinity, double WLineage, double Quantile)
{
    public static ObjectiveSpec Default { get; } = new(1, 10, 0.8, 0.1, 0.5, 0.2, 0.9);
}
