using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Shardcast.Host.Server;

/// <summary>
/// The server's own meter (<see cref="ServerMetrics.MeterName"/>) in Prometheus's text exposition format: counters
/// as `_total`, up-down counters as gauges, histograms as summaries of sum and count (no quantiles: a scraper's
/// rate of sum over count gives the mean latency per op). Collected in process by a MeterListener, so nothing but
/// the server itself is needed to scrape it; only this server's meter is listened to, not another's in the process.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Name, string Labels), Series> _series = new();

    public PrometheusExporter(ServerMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Every series, one line each (two for a summary), with a TYPE line per metric.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        foreach (var metric in _series.GroupBy(s => s.Key.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var kind = metric.First().Value.Kind;
            string name = PrometheusName(metric.Key);
            text.Append(CultureInfo.InvariantCulture, $"# TYPE {name}{(kind == Kind.Counter ? "_total" : "")} {kind switch { Kind.Counter => "counter", Kind.Gauge => "gauge", _ => "summary" }}\n");
            foreach (var (key, series) in metric.OrderBy(s => s.Key.Labels, StringComparer.Ordinal))
            {
                string labels = key.Labels.Length > 0 ? "{" + key.Labels + "}" : "";
                switch (kind)
                {
                    case Kind.Counter:
                        text.Append(CultureInfo.InvariantCulture, $"{name}_total{labels} {series.Sum}\n");
                        break;
                    case Kind.Gauge:
                        text.Append(CultureInfo.InvariantCulture, $"{name}{labels} {series.Sum}\n");
                        break;
                    default:
                        text.Append(CultureInfo.InvariantCulture, $"{name}_sum{labels} {series.Sum}\n{name}_count{labels} {series.Count}\n");
                        break;
                }
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var kind = instrument switch
        {
            Counter<long> or Counter<double> => Kind.Counter,
            UpDownCounter<long> or UpDownCounter<double> => Kind.Gauge,
            _ => Kind.Summary,
        };
        var series = _series.GetOrAdd((instrument.Name + (instrument.Unit is { Length: > 0 } unit ? "_" + unit : ""), Labels(tags)), _ => new Series(kind));
        series.Add(value);
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return string.Join(",", sorted.Select(t => $"{t.Key}=\"{Escape(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\""));
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string PrometheusName(string name) => name.Replace('.', '_');

    private enum Kind
    {
        Counter,
        Gauge,
        Summary,
    }

    private sealed class Series(Kind kind)
    {
        private readonly Lock _lock = new();
        private double _sum;
        private long _count;

        public Kind Kind { get; } = kind;

        public double Sum
        {
            get
            {
                lock (_lock)
                {
                    return _sum;
                }
            }
        }

        public long Count
        {
            get
            {
                lock (_lock)
                {
                    return _count;
                }
            }
        }

        public void Add(double value)
        {
            lock (_lock)
            {
                _sum += value;
                _count++;
            }
        }
    }
}
