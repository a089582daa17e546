using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Store;
using Shardcast.Models.Anomaly;

namespace Shardcast.Control;

/// <summary>An anomaly in one range's traffic: its load at the step, the detector's score and z, and how severe.</summary>
public sealed record PartitionAnomaly(SlotRange Range, double OperationsPerSecond, double Score, double Z, AnomalySeverity Severity)
{
    public string Partition => StorePartition.IdOf(Range);
}

/// <summary>
/// One anomaly detector per range of the even cut of the slot space, fed each step's operations per second. The
/// even cut, not the planned partitions, is watched: planned partitions are cut again as ranges heat up and nodes
/// change their slots as moves land, and a series that changes what it measures would look anomalous for that alone.
/// </summary>
public sealed class PartitionAnomalyWatch
{
    private readonly SlotRange[] _ranges;
    private readonly ContextNoveltyDetector[] _detectors;

    public PartitionAnomalyWatch(int partitions, DetectorOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _ranges = [.. Enumerable.Range(0, partitions).Select(i => SlotRange.EvenShare(i, partitions))];
        _detectors = [.. _ranges.Select(_ => new ContextNoveltyDetector(options))];
    }

    public IReadOnlyList<SlotRange> Ranges => _ranges;

    /// <summary>Feeds one step's traffic to every range's detector; the ranges that raised an alarm, the most anomalous first.</summary>
    public IReadOnlyList<PartitionAnomaly> Observe(SlotTrafficWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var alarms = new List<PartitionAnomaly>();
        for (int i = 0; i < _ranges.Length; i++)
        {
            double load = window.OperationsPerSecond(_ranges[i]);
            var verdict = _detectors[i].Observe(load);
            if (verdict.Alarm)
            {
                alarms.Add(new PartitionAnomaly(_ranges[i], load, verdict.Score, verdict.Z, verdict.Severity));
            }
        }

        alarms.Sort((a, b) => b.Z.CompareTo(a.Z));
        return alarms;
    }
}
