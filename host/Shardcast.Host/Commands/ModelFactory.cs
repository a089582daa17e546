using Shardcast.Models.Classical;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Neural;

namespace Shardcast.Host.Commands;

/// <summary>Builds the models a command names: the LSTM from a model file, or trained on the data within a time budget.</summary>
/// <param name="useDefaultModel">Without a model file, use the shipped model (forecast) rather than training on the data (backtest).</param>
/// <param name="served">The network to use instead of the shipped one (a server's served version).</param>
internal sealed class ModelFactory(string? modelFile, double trainSeconds, ulong seed, bool useDefaultModel = false, LstmNetwork? served = null)
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

    /// <summary>
    /// The model a forecast of <paramref name="steps"/> steps at <paramref name="quantiles"/> asks for. `auto` leaves the
    /// LSTM out where it cannot serve them (more steps than it was trained for, a quantile outside its levels), as the
    /// planner's forecasts do (docs/forecasting.md), and says so; the other names are as <see cref="Create"/> gives them.
    /// </summary>
    public (IForecastModel Model, string? Note) CreateFor(string name, int steps, IReadOnlyList<double> quantiles)
    {
        ArgumentNullException.ThrowIfNull(quantiles);
        if (name != ModelNames.Auto)
        {
            return (Create(name), null);
        }

        var hyper = modelFile is null && !useDefaultModel ? new LstmHyperParameters { Seed = seed } : Lstm().Network.Hyper;
        var levels = hyper.Quantiles;
        bool serves = steps <= hyper.Horizon && quantiles.All(q => q >= levels[0] - 1e-12 && q <= levels[^1] + 1e-12);
        return serves
            ? (Create(name), null)
            : (new Shardcast.Models.Ensemble.AutoModel([new EtsModel(), new SeasonalNaiveModel()]),
                $"auto left the LSTM out: it forecasts at most {hyper.Horizon} steps at quantiles {levels[0]} to {levels[^1]}; ETS and seasonal naive forecast these {steps} steps");
    }

    private LstmModel Lstm() => _lstm ??= modelFile is not null ? new LstmModel(LstmModelFile.Read(modelFile).Network)
        : useDefaultModel ? new LstmModel(served ?? LstmDefaultModel.Get().Network)
        : new LstmModel(new LstmHyperParameters { Seed = seed }, new LstmTrainingOptions { TimeBudget = TimeSpan.FromSeconds(trainSeconds) });
}

internal static class LstmDefaults
{
    public const double BacktestTrainingSeconds = 300;
}
