using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Models.Classical;

/// <summary>
/// Seasonal naive as a model: season and error distributions fixed from the history it is opened on (the
/// training part, in a backtest), base values from every point observed since, as the backtest protocol
/// (docs/forecasting.md) defines it.
/// </summary>
public sealed class SeasonalNaiveModel : IForecastModel
{
    public string Name => ModelNames.SeasonalNaive;

    public void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation)
    {
    }

    public ISeriesForecaster Open(TimeSeries history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Length == 0)
        {
            throw new ArgumentException("Seasonal naive needs at least one observation.", nameof(history));
        }

        int season = SeasonalNaive.SeasonOf(history);
        return new Forecaster(history.Values, season);
    }

    /// <summary>Forecasts from a history; also what <see cref="SeasonalNaive.Forecast"/> computes.</summary>
    internal sealed class Forecaster(double[] history, int season) : ISeriesForecaster
    {
        private readonly List<double> _values = [.. history];
        private readonly double[] _training = history;
        private readonly Dictionary<int, double[]> _sortedErrorsByStep = [];

        public void Observe(double timestamp, double value) => _values.Add(value);

        public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
        {
            ForecastArguments.Validate(horizon, quantiles);
            int t = _values.Count;
            var result = new double[quantiles.Length][];
            for (int q = 0; q < quantiles.Length; q++)
            {
                result[q] = new double[horizon];
            }

            // A step whose own lag leaves fewer than MinimumErrors errors in the history takes the errors of the
            // longest lag that has them, so a short history is shifted alike at every step ([10, 20] once forecast
            // 30, 20, 20); with none, no step is shifted. Histories of more than a season and a horizon never meet it.
            double[]? errors = null;
            for (int h = 1; h <= horizon; h++)
            {
                int lag = SeasonalNaive.Lag(season, h);
                double baseValue = t + h - 1 - lag >= 0 ? _values[t + h - 1 - lag] : _values[t - 1];
                if (_training.Length - lag >= SeasonalNaive.MinimumErrors)
                {
                    errors = SortedErrors(lag);
                }

                for (int q = 0; q < quantiles.Length; q++)
                {
                    result[q][h - 1] = baseValue + (errors is null ? 0 : SeasonalNaive.EmpiricalQuantile(errors, quantiles[q]));
                }
            }

            return result;
        }

        private double[] SortedErrors(int lag)
        {
            if (!_sortedErrorsByStep.TryGetValue(lag, out var errors))
            {
                errors = new double[Math.Max(0, _training.Length - lag)];
                for (int i = lag; i < _training.Length; i++)
                {
                    errors[i - lag] = _training[i] - _training[i - lag];
                }

                Array.Sort(errors);
                _sortedErrorsByStep[lag] = errors;
            }

            return errors;
        }
    }
}
