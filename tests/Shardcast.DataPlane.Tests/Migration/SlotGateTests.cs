using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Tests.Migration;

/// <summary>The write gate's bookkeeping when a move gives up before it has told its caller the slot is gated.</summary>
public class SlotGateTests
{
    private const string Key = "user:1";

    [Fact]
    public async Task A_move_cancelled_while_earlier_writes_drain_lets_the_slot_go()
    {
        var gate = new SlotGate();
        int slot = HashSlots.Of(Key);
        var earlier = await gate.EnterAsync(Key);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.BeginCopyAsync(slot, TimeSpan.FromMinutes(1), cancel.Token));
        earlier.Dispose();

        // Left held, the slot would record every later write as dirty and refuse the next move as already moving.
        Assert.False(gate.IsMoving(slot));
        using (var later = await gate.EnterAsync(Key))
        {
            Assert.False(later.Copying);
        }

        Assert.True(await gate.BeginCopyAsync(slot, TimeSpan.FromSeconds(5)));
        gate.End(slot);
    }

    [Fact]
    public async Task A_move_whose_earlier_writes_do_not_drain_in_time_lets_the_slot_go()
    {
        var gate = new SlotGate();
        int slot = HashSlots.Of(Key);
        using var earlier = await gate.EnterAsync(Key);

        Assert.False(await gate.BeginCopyAsync(slot, TimeSpan.FromMilliseconds(30)));
        Assert.False(gate.IsMoving(slot));
    }
}
