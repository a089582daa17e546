namespace Shardcast.Engine.Cluster;

/// <param name="MaxMoves">Most partitions a plan may move, or null for no limit.</param>
/// <param name="MaxBytes">Most bytes a plan may move, or null for no limit.</param>
public sealed record BudgetSpec(int? MaxMoves, double? MaxBytes)
{
    public static BudgetSpec Unlimited { get; } = new(null, null);
}
