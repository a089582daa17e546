namespace Shardcast.Engine.Routing;

/// <summary>A routing table's saved state that cannot be used (damaged, or a name that cannot be a file); the message names it.</summary>
public sealed class RoutingStateException(string message) : Exception(message);
