namespace Shardcast.Engine.Cluster;

/// <param name="ForecastModel">The model that forecasts partitions given by history: auto (default), lstm, ets or snaive.</param>
public sealed record HorizonSpec(int Steps, double StepSeconds, string ForecastModel = HorizonSpec.DefaultForecastModel)
{
    public const string DefaultForecastModel = "auto";
}
