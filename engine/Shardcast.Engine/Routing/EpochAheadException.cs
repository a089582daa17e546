namespace Shardcast.Engine.Routing;

/// <summary>A client asked for the changes since an epoch the routing table has not reached (it holds a table from elsewhere).</summary>
public sealed class EpochAheadException(ulong since, ulong epoch) : Exception($"epoch {since} is ahead of the table's {epoch}")
{
    public ulong Since { get; } = since;

    public ulong Epoch { get; } = epoch;
}
