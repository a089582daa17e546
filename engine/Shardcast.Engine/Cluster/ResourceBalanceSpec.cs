namespace Shardcast.Engine.Cluster;

/// <summary>
/// On every node and step, <c>weight * max(0, target * available(A) - available(B))</c> with available = capacity -
/// load in the resource's own units: resources that should be used in proportion (ROADEF's balance cost).
/// </summary>
public sealed record ResourceBalanceSpec(string A, string B, double Target, double Weight);
