using Shardcast.Models.Classical;
using Shardcast.Models.Ensemble;
using Shardcast.Models.Events;
using Shardcast.Models.Neural;
using Shardcast.Models.Series;

namespace Shardcast.Models.Forecasting;

/// <summary>Forecasts at one quantile for many series, and which models served them.</summary>
/// <param name="Effects">Per series, what its known events did to the forecast (null where it had none).</param>
public sealed record FleetForecastResult(double[][] Values, string Served, IReadOnlyList<EventEffect>?[]? Effects = null);

/// <summary>
/// The planner's forecasts: every history series of a cluster forecast by the named model at the planning
/// quantile. `auto` combines the LSTM, ETS and seasonal naive per series; where the LSTM cannot serve (a horizon
/// beyond its head, a quantile outside its levels) or ETS would cost too much (more history points than
/// <see cref="EtsPointBudget"/>: its fits take about 8 microseconds per point on 2 cores), the others carry on, and the
/// result says so. Series are forecast in parallel.
/// </summary>
public static class FleetForecast
{
    public const long EtsPointBudget = 1_000_000;

    /// <param name="events">Per series (by index), the events known for it (<see cref="EventCalendar"/>); null where none are.</param>
    public static FleetForecastResult Forecast(
        IReadOnlyList<TimeSeries> histories, string model, int steps, double quantile, LstmNetwork? network, CancellationToken cancellation, IReadOnlyList<IReadOnlyList<KnownEvent>?>? events = null)
    {
        ArgumentNullException.ThrowIfNull(histories);
        ArgumentNullException.ThrowIfNull(model);
        ForecastArguments.Validate(steps, [quantile]);
        if (events is not null && events.Any(e => e is { Count: > 0 }))
        {
            if (events.Count != histories.Count)
            {
                throw new ArgumentException($"{events.Count} event lists for {histories.Count} series", nameof(events));
            }

            // Every model sees the histories with past occurrences divided out; the forecasts are multiplied back.
            var calendars = histories.Select((h, i) => events[i] is { Count: > 0 } list ? new EventCalendar(h, list) : null).ToArray();
            var plain = Forecast([.. histories.Select((h, i) => calendars[i]?.Deflated ?? h)], model, steps, quantile, network, cancellation);
            for (int i = 0; i < calendars.Length; i++)
            {
                calendars[i]?.Inflate([plain.Values[i]], calendars[i]!.LastTime);
            }

            return plain with { Effects = [.. calendars.Select(c => c?.EffectsAhead(steps))] };
        }

        network ??= LstmDefaultModel.Get().Network;
        bool lstmServes = steps <= network.Hyper.Horizon && quantile >= network.Hyper.Quantiles[0] && quantile <= network.Hyper.Quantiles[^1];
        long points = histories.Sum(h => (long)h.Length);
        var notes = new List<string>();
        IForecastModel chosen;
        switch (model)
        {
            case ModelNames.SeasonalNaive:
                chosen = new SeasonalNaiveModel();
                break;
            case ModelNames.Ets:
                chosen = new EtsModel();
                break;
            case ModelNames.Lstm:
                if (!lstmServes)
                {
                    throw new UnknownModelException(
                        $"the LSTM forecasts at most {network.Hyper.Horizon} steps at quantiles {network.Hyper.Quantiles[0]} to {network.Hyper.Quantiles[^1]}; asked for {steps} steps at {quantile}");
                }

                return new FleetForecastResult(BatchedLstm(histories, network, steps, quantile), "lstm");
            case ModelNames.Auto:
                var components = new List<IForecastModel>();
                if (lstmServes)
                {
                    components.Add(new LstmModel(network));
                }
                else
                {
                    notes.Add($"lstm left out: it forecasts at most {network.Hyper.Horizon} steps at quantiles {network.Hyper.Quantiles[0]}-{network.Hyper.Quantiles[^1]}");
                }

                if (points <= EtsPointBudget)
                {
                    components.Add(new EtsModel());
                }
                else
                {
                    notes.Add($"ets left out: {points} history points exceed its budget of {EtsPointBudget}");
                }

                components.Add(new SeasonalNaiveModel());
                chosen = new AutoModel(components);
                notes.Insert(0, "auto (" + string.Join(", ", components.Select(c => c.Name)) + ")");
                break;
            default:
                throw new UnknownModelException($"unknown model '{model}' (known: {string.Join(", ", ModelNames.Known)})");
        }

        var values = new double[histories.Count][];
        Parallel.For(0, histories.Count, new ParallelOptions { CancellationToken = cancellation }, i =>
        {
            var history = histories[i];
            values[i] = OpenOrFallBack(chosen, history).Forecaster.Forecast(steps, [quantile])[0];
        });
        return new FleetForecastResult(values, notes.Count > 0 ? string.Join("; ", notes) : model);
    }

    /// <summary>
    /// Opens a series on the model, or on seasonal naive where the series is too short for the model to fit (fewer
    /// than <see cref="Ets.MinimumObservations"/> points: ETS cannot fit, nor auto with it): the fallback the
    /// planner and the forecast command share, so a partition with two points of history still gets a forecast.
    /// </summary>
    public static (ISeriesForecaster Forecaster, bool FellBack) OpenOrFallBack(IForecastModel model, TimeSeries history)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(history);
        bool tooShort = history.Length < Ets.MinimumObservations && model is not SeasonalNaiveModel;
        return tooShort ? (new SeasonalNaiveModel().Open(history), true) : (model.Open(history), false);
    }

    private static double[][] BatchedLstm(IReadOnlyList<TimeSeries> histories, LstmNetwork network, int steps, double quantile)
    {
        var fleet = new LstmBatchForecaster(network, histories, Environment.ProcessorCount);
        return [.. fleet.Forecast(steps, [quantile]).Select(f => f[0])];
    }
}
