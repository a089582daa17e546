using Shardcast.Models.Classical;
using Shardcast.Models.Forecasting;

namespace Shardcast.Host.Commands;

/// <summary>Builds the models a command names.</summary>
internal sealed class ModelFactory(string? modelFile, double trainSeconds, ulong seed, TextWriter error)
{
    public IForecastModel Create(string name) => name switch
    {
        ModelNames.SeasonalNaive => new SeasonalNaiveModel(),
        ModelNames.Ets => new EtsModel(),
        _ => throw new UnknownModelException($"model '{name}' is not built yet ({modelFile}, {trainSeconds}, {seed}, {error})"),
    };
}

internal static class LstmDefaults
{
    public const double BacktestTrainingSeconds = 300;
}
