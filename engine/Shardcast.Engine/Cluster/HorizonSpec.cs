namespace Shardcast.Engine.Cluster;

public sealed record HorizonSpec(int Steps, double StepSeconds);
