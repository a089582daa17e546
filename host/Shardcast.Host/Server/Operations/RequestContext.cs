using Shardcast.Engine.Observation;
using Shardcast.Engine.Routing;

namespace Shardcast.Host.Server.Operations;

/// <summary>What an operation may use: the server's state and settings, the request's deadline, its metrics.</summary>
public sealed record RequestContext(ServerOptions Options, SeriesStore Series, RoutingTables Routes, ClusterCache Clusters, ServerMetrics Metrics, TimeProvider Clock, DateTimeOffset Deadline, CancellationToken Cancellation, DataPlane.Execution.ManagedStore? Store = null, ControlService? Control = null, OpenForecasters? Forecasters = null, SeriesDetectors? Detectors = null, ServedModel? Model = null, ModelAdaptation? Adaptation = null)
{
    public TimeSpan Remaining => Deadline - Clock.GetUtcNow();
}
