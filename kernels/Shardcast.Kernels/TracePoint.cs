namespace Shardcast.Kernels;

/// <summary>The best energy known at a moment of the search: the time-to-quality curve.</summary>
public readonly record struct TracePoint(TimeSpan Elapsed, double BestEnergy);
