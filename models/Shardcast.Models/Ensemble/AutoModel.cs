using Shardcast.Models.Backtesting;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Models.Ensemble;

/// <summary>
/// `auto`, the forecast the planner uses: the LSTM, ETS and seasonal naive combined per series, each quantile a
/// weighted average of theirs (quantile averaging), weights from each model's recent quantile loss on the same
/// series. The losses start from a validation tail of the history the series is opened on (the models are
/// fitted on the history before it and walked through it), and keep being updated as new points arrive, with
/// older errors fading, so a series whose behaviour changes moves its weight to the model that now does best.
/// </summary>
public sealed class AutoModel : IForecastModel
{
    private readonly IReadOnlyList<IForecastModel> _components;

    public AutoModel(IReadOnlyList<IForecastModel> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0 || components.Any(c => c.Name == ModelNames.Auto))
        {
            throw new ArgumentException("auto combines one or more other models.", nameof(components));
        }

        _components = components;
    }

    public string Name => ModelNames.Auto;

    public void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation)
    {
        foreach (var component in _components)
        {
            component.Fit(trainingParts, progress, cancellation);
        }
    }

    public ISeriesForecaster Open(TimeSeries history)
    {
        ArgumentNullException.ThrowIfNull(history);
        int horizon = BacktestProtocol.Horizon;
        int tail = ValidationTail(history.Length, horizon);
        var scores = _components.Select(_ => new LossTracker(horizon)).ToArray();
        // Each model is opened (fitted) on the history before the tail and walked through the tail, scored as it
        // goes; at the tail's end it is conditioned on the whole history and serves from there, so every model is
        // fitted once per series.
        var head = history.Head(history.Length - tail);
        var forecasters = _components.Select(c => c.Open(head)).ToArray();
        for (int i = head.Length; i < history.Length; i++)
        {
            for (int k = 0; k < forecasters.Length; k++)
            {
                scores[k].Observe(forecasters[k], history.Timestamps[i], history.Values[i]);
            }
        }

        return new Forecaster(forecasters, scores);
    }

    /// <summary>The validation tail: a fifth of the history, at least four horizons, leaving at least half the history before it.</summary>
    public static int ValidationTail(int length, int horizon)
    {
        int tail = Math.Max(length / 5, 4 * horizon);
        return tail <= length / 2 ? tail : 0;
    }

    /// <summary>Weights proportional to the recent loss to the power -<see cref="Exponent"/>; models without a score yet get none.</summary>
    /// <summary>
    /// Weights go as loss^-8: close to choosing the best model per series, still blending models whose losses are
    /// within a few percent. Measured on NAB (docs/benchmarks.md): exponent 1, 2, 4, 8, 16 gave MASE ratios 0.640,
    /// 0.595, 0.569, 0.560, 0.560, so anything from 4 up selects well; 16 began to under-cover.
    /// </summary>
    public const double Exponent = 8;

    public static void Weights(ReadOnlySpan<double> losses, Span<double> weights)
    {
        // Relative to the best loss, so that neither tiny nor huge losses overflow the power.
        double best = double.PositiveInfinity;
        foreach (double loss in losses)
        {
            if (double.IsFinite(loss) && loss >= 0)
            {
                best = Math.Min(best, loss);
            }
        }

        double total = 0;
        for (int k = 0; k < losses.Length; k++)
        {
            double loss = losses[k];
            weights[k] = !double.IsFinite(loss) || loss < 0 ? 0 : loss <= best ? 1 : Math.Pow(best / loss, Exponent);
            total += weights[k];
        }

        for (int k = 0; k < losses.Length; k++)
        {
            weights[k] = total > 0 ? weights[k] / total : 1.0 / losses.Length;
        }
    }

    private sealed class Forecaster(ISeriesForecaster[] components, LossTracker[] scores) : ISeriesForecaster
    {
        public IReadOnlyList<double> CurrentWeights
        {
            get
            {
                var weights = new double[components.Length];
                Weights([.. scores.Select(s => s.Loss)], weights);
                return weights;
            }
        }

        public void Observe(double timestamp, double value)
        {
            for (int k = 0; k < components.Length; k++)
            {
                scores[k].Observe(components[k], timestamp, value);
            }
        }

        public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
        {
            ForecastArguments.Validate(horizon, quantiles);
            var weights = CurrentWeights;
            var result = new double[quantiles.Length][];
            for (int q = 0; q < quantiles.Length; q++)
            {
                result[q] = new double[horizon];
            }

            for (int k = 0; k < components.Length; k++)
            {
                if (weights[k] == 0)
                {
                    continue;
                }

                var forecast = components[k].Forecast(horizon, quantiles);
                for (int q = 0; q < quantiles.Length; q++)
                {
                    for (int h = 0; h < horizon; h++)
                    {
                        result[q][h] += weights[k] * forecast[q][h];
                    }
                }
            }

            ForecastArguments.SortAcrossQuantiles(result, quantiles);
            return result;
        }
    }

    /// <summary>
    /// One model's recent quantile loss on one series: it forecasts every half horizon, and each forecast is scored
    /// (pinball at 0.1, 0.5, 0.9) as its actuals arrive, into an exponentially weighted mean.
    /// </summary>
    private sealed class LossTracker(int horizon)
    {
        private static readonly double[] Levels = [0.1, 0.5, 0.9];
        private const double Fade = 0.998;
        private readonly Queue<(long Origin, double[][] Values)> _pending = new();
        private readonly int _stride = Math.Max(1, horizon / 2);
        private double _sum;
        private double _weight;
        private long _seen;

        public double Loss => _weight > 0 ? _sum / _weight : double.NaN;

        public void Observe(ISeriesForecaster forecaster, double timestamp, double value)
        {
            if (_seen % _stride == 0)
            {
                _pending.Enqueue((_seen, forecaster.Forecast(horizon, Levels)));
            }

            foreach (var (origin, values) in _pending)
            {
                int h = (int)(_seen - origin);
                double loss = 0;
                for (int q = 0; q < Levels.Length; q++)
                {
                    loss += ScoreAccumulator.Pinball(Levels[q], value, values[q][h]);
                }

                _sum = (_sum * Fade) + loss;
                _weight = (_weight * Fade) + 1;
            }

            while (_pending.Count > 0 && _seen - _pending.Peek().Origin >= horizon - 1)
            {
                _pending.Dequeue();
            }

            forecaster.Observe(timestamp, value);
            _seen++;
        }
    }
}
