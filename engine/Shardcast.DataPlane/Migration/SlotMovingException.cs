namespace Shardcast.DataPlane.Migration;

/// <summary>A write refused because its slot stayed fenced too long: it was not made, and retrying it is safe.</summary>
public sealed class SlotMovingException(int slot, string message) : Exception(message)
{
    public int Slot { get; } = slot;
}
