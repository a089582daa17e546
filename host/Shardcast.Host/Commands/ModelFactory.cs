using Shardcast.Models.Classical;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Neural;

namespace Shardcast.Host.Commands;

/// <summary>Builds the models a command names: the LSTM from a model file, or trained on the data within a time budget.</summary>
/// <param name="useDefaultModel">Without a model file, use the shipped model (forecast) rather than training on the data (backtest).</param>
internal sealed class ModelFactory(string? modelFile, double trainSeconds, ulong seed, bool useDefaultModel = false)
{
    private LstmModel? _lstm;

    public IForecastModel Create(string name) => name switch
    {
        ModelNames.SeasonalNaive => new SeasonalNaiveModel(),
        ModelNames.Ets => new EtsModel(),
        ModelNames.Lstm => Lstm(),
        ModelNames.Auto => new Shardcast.Models.Ensemble.AutoModel([Lstm(), new EtsModel(), new SeasonalNaiveModel()]),
        _ => throw new UnknownModelException($"unknown model '{name}'"),
    };

    private LstmModel Lstm() => _lstm ??= modelFile is not null ? new LstmModel(LstmModelFile.Read(modelFile).Network)
        : useDefaultModel ? new LstmModel(LstmDefaultModel.Get().Network)
        : new LstmModel(new LstmHyperParameters { Seed = seed }, new LstmTrainingOptions { TimeBudget = TimeSpan.FromSeconds(trainSeconds) });
}

internal static class LstmDefaults
{
    public const double BacktestTrainingSeconds = 300;
}
