using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Execution;

/// <summary>
/// One partition's move on a store: its slot range from the node that owns it to another, with the plan's estimate
/// of its bytes (the throttle's measure) and its wave (moves of one wave may run together; a wave starts when the
/// one before it has ended).
/// </summary>
/// <param name="Source">The store node id the plan expects to own the range; the executor moves from whoever owns it when the move starts.</param>
/// <param name="Target">The store node id the range goes to.</param>
public sealed record RangeMove(string Partition, SlotRange Range, string Source, string Target, double Bytes, int Wave)
{
    public override string ToString() => $"{Partition} (slots {Range}) {Short(Source)} -> {Short(Target)}";

    internal static string Short(string id) => id[..Math.Min(8, id.Length)];
}
