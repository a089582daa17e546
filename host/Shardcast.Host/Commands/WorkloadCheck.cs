using System.Globalization;
using Shardcast.DataPlane.Workload;

namespace Shardcast.Host.Commands;

/// <summary>What `rebalance` and `run` do with their workload at the end: stop its clients, read every acknowledged write back, and say what was lost.</summary>
internal static class WorkloadCheck
{
    public static async Task<IReadOnlyList<string>> StopAndCheckAsync(StoreWorkload workload, TextWriter output, CancellationToken cancellation)
    {
        await workload.StopAsync().ConfigureAwait(false);
        var lost = await workload.CheckAsync(cancellation).ConfigureAwait(false);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workload: {workload.Writes:N0} writes, {workload.Reads:N0} reads, {workload.Refused:N0} refused (not acknowledged); acknowledged writes lost: {lost.Count}"));
        foreach (string key in lost.Take(10))
        {
            output.WriteLine($"  lost: {key}");
        }

        return lost;
    }
}
