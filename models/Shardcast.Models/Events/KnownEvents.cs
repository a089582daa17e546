using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Models.Events;

/// <summary>Opens a series on a model with the events known for it (<see cref="EventCalendar"/>).</summary>
public static class KnownEvents
{
    /// <summary>
    /// The model opened on the history with past occurrences divided out, its forecasts multiplied inside event
    /// windows; without events, the model as <see cref="FleetForecast.OpenOrFallBack"/> opens it.
    /// </summary>
    public static (ISeriesForecaster Forecaster, bool FellBack, EventCalendar? Calendar) Open(IForecastModel model, TimeSeries history, IReadOnlyList<KnownEvent>? events)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(history);
        if (events is null || events.Count == 0)
        {
            var (plain, fellBack) = FleetForecast.OpenOrFallBack(model, history);
            return (plain, fellBack, null);
        }

        var calendar = new EventCalendar(history, events);
        var (inner, fell) = FleetForecast.OpenOrFallBack(model, calendar.Deflated);
        return (new Forecaster(inner, calendar), fell, calendar);
    }

    /// <summary>A forecaster over the deflated series: observations inside event windows are divided by their multipliers on the way in, forecasts multiplied on the way out.</summary>
    private sealed class Forecaster(ISeriesForecaster inner, EventCalendar calendar) : ISeriesForecaster
    {
        private double _last = calendar.LastTime;

        public void Observe(double timestamp, double value)
        {
            inner.Observe(timestamp, value / calendar.FactorAt(timestamp));
            _last = timestamp;
        }

        public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
        {
            var result = inner.Forecast(horizon, quantiles);
            calendar.Inflate(result, _last);
            return result;
        }
    }
}
