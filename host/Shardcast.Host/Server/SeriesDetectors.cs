using System.Collections.Concurrent;
using Shardcast.Models.Anomaly;

namespace Shardcast.Host.Server;

/// <summary>An alarm raised on an ingested series: the 0-based index of the value in the series, and the verdict.</summary>
public readonly record struct SeriesAlarm(string Series, long Index, AnomalyVerdict Verdict);

/// <summary>
/// Anomaly detectors on ingested series, one per series id, created by the first `ingest` that asks for detection
/// and fed every value ingested with detection from then on. Bounded: a detector holds its history of
/// <see cref="DetectorOptions.MaxHistory"/> values (a few tens of kilobytes), so past <paramref name="maxSeries"/>
/// series a new one is refused rather than memory growing without end.
/// </summary>
public sealed class SeriesDetectors(int maxSeries, DetectorOptions options)
{
    private readonly ConcurrentDictionary<string, ContextNoveltyDetector> _detectors = new();

    public int Count => _detectors.Count;

    public int MaxSeries => maxSeries;

    /// <summary>Whether a request may add these series' detectors (those it has are always fed).</summary>
    public bool HasRoomFor(IEnumerable<string> ids)
    {
        int added = ids.Distinct().Count(id => !_detectors.ContainsKey(id));
        return _detectors.Count + added <= maxSeries;
    }

    /// <summary>Feeds values that were appended to a series ending at <paramref name="lengthAfter"/>; the alarms they raised.</summary>
    public IReadOnlyList<SeriesAlarm> Observe(string id, long lengthAfter, ReadOnlySpan<double> values)
    {
        // GetOrAdd hands every caller the one stored detector, even where two raced to create it.
        var detector = _detectors.GetOrAdd(id, _ => new ContextNoveltyDetector(options));

        var alarms = new List<SeriesAlarm>();
        lock (detector)
        {
            long first = lengthAfter - values.Length;
            for (int i = 0; i < values.Length; i++)
            {
                var verdict = detector.Observe(values[i]);
                if (verdict.Alarm)
                {
                    alarms.Add(new SeriesAlarm(id, first + i, verdict));
                }
            }
        }

        return alarms;
    }
}
