using System.Diagnostics.Metrics;

namespace Shardcast.Host.Server;

/// <summary>
/// The server's metrics on System.Diagnostics.Metrics (meter "Shardcast.Server"): requests and errors by op and
/// code, requests in flight, latency, plan time and the backend that planned, connections.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Shardcast.Server";
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Histogram<double> _latency;
    private readonly Histogram<double> _planTime;
    private readonly UpDownCounter<long> _connections;

    public ServerMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>("shardcast.server.requests", description: "Requests answered, by op.");
        _errors = _meter.CreateCounter<long>("shardcast.server.errors", description: "Error answers, by op and code.");
        _inFlight = _meter.CreateUpDownCounter<long>("shardcast.server.in_flight", description: "Requests being worked on.");
        _latency = _meter.CreateHistogram<double>("shardcast.server.latency", unit: "ms", description: "From frame read to answer written.");
        _planTime = _meter.CreateHistogram<double>("shardcast.server.plan_time", unit: "ms", description: "Planning time, by backend.");
        _connections = _meter.CreateUpDownCounter<long>("shardcast.server.connections", description: "Open connections.");
    }

    /// <summary>This server's meter (each host has its own, so two servers in one process keep their figures apart).</summary>
    internal Meter Meter => _meter;

    public void RequestStarted() => _inFlight.Add(1);

    public void RequestFinished(string op, string? errorCode, TimeSpan latency)
    {
        _inFlight.Add(-1);
        var tag = new KeyValuePair<string, object?>("op", op);
        _requests.Add(1, tag);
        _latency.Record(latency.TotalMilliseconds, tag);
        if (errorCode is not null)
        {
            _errors.Add(1, tag, new KeyValuePair<string, object?>("code", errorCode));
        }
    }

    public void RecordPlan(string backend, TimeSpan elapsed) => _planTime.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("backend", backend));

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionClosed() => _connections.Add(-1);

    public void Dispose() => _meter.Dispose();
}
