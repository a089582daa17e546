namespace Shardcast.Kernels.Device;

/// <summary>How many chains a device's memory holds for a problem: the shared problem once, then whole chains.</summary>
internal static class DeviceChainBudget
{
    public static int Chains(DeviceProblemImage image, long globalMemory, long maxAllocation, double share, int maxChains)
    {
        var p = image.Problem;
        long available = (long)(globalMemory * share) - image.ProblemBytes;
        long byMemory = available / Math.Max(1, image.BytesPerChain);

        // The largest single buffer is one of: all chains' assignments, node rows, or member slots.
        long largestPerChain = Math.Max((long)p.Partitions * 4, Math.Max((long)p.Nodes * p.Stride * 4, (long)p.Nodes * image.Slots * 4));
        long byAllocation = maxAllocation / Math.Max(1, largestPerChain);
        return (int)Math.Clamp(Math.Min(byMemory, byAllocation), 1, maxChains);
    }
}
