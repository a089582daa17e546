using Shardcast.Models.Series;

namespace Shardcast.Models.Neural;

/// <summary>
/// Many series forecast together, the way a cluster's partitions are: each interval every series gets one new
/// observation and the whole fleet advances by one batched LSTM step (no window is replayed); forecasts for all
/// series come from one batched pass of the head. Memory per series: the states (2 x layers x hidden floats) and
/// its features' ring of one season plus a horizon of values.
/// </summary>
public sealed class LstmBatchForecaster
{
    private readonly LstmNetwork _network;
    private readonly LstmFeatures[] _features;
    private readonly LstmStepper _stepper;
    private readonly float[] _inputs;
    private readonly int _threads;

    /// <summary>Opens every series on its history (streamed through in batched steps, histories aligned at their ends).</summary>
    public LstmBatchForecaster(LstmNetwork network, IReadOnlyList<TimeSeries> histories, int threads)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(histories);
        if (histories.Count == 0 || histories.Any(h => h.Length == 0))
        {
            throw new ArgumentException("Every series needs at least one observation.", nameof(histories));
        }

        _network = network;
        _threads = Math.Max(1, threads);
        int count = histories.Count;
        _features = [.. histories.Select(h => LstmFeatures.For(h, network.Hyper.Horizon))];
        _stepper = new LstmStepper(network, count);
        _inputs = new float[count * LstmFeatures.InputSize];
        int longest = histories.Max(h => h.Length);
        for (int tau = 0; tau < longest; tau++)
        {
            for (int r = 0; r < count; r++)
            {
                int t = tau - (longest - histories[r].Length);
                var row = _inputs.AsSpan(r * LstmFeatures.InputSize, LstmFeatures.InputSize);
                if (t >= 0)
                {
                    _features[r].Push(histories[r].Timestamps[t], histories[r].Values[t], row);
                }
                else
                {
                    row.Clear();
                }
            }

            _stepper.Step(_inputs, 0, count, _threads);
            for (int r = 0; r < count; r++)
            {
                if (tau - (longest - histories[r].Length) < 0)
                {
                    _stepper.Reset(r);
                }
            }
        }
    }

    public int Count => _features.Length;

    /// <summary>One new observation for every series, all at <paramref name="timestamp"/>: one batched step.</summary>
    public void Observe(double timestamp, ReadOnlySpan<double> values)
    {
        if (values.Length != _features.Length)
        {
            throw new ArgumentException($"Expected one value per series ({_features.Length}), got {values.Length}.", nameof(values));
        }

        Span<float> calendar = stackalloc float[LstmFeatures.CalendarSize];
        LstmFeatures.Calendar(timestamp, calendar);
        for (int r = 0; r < values.Length; r++)
        {
            _features[r].Push(values[r], calendar, _inputs.AsSpan(r * LstmFeatures.InputSize, LstmFeatures.InputSize));
        }

        _stepper.Step(_inputs, 0, _features.Length, _threads);
    }

    /// <summary>Every series' forecast: result[series][q][h].</summary>
    public double[][][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
    {
        Forecasting.ForecastArguments.Validate(horizon, quantiles);
        var hyper = _network.Hyper;
        if (horizon > hyper.Horizon)
        {
            throw new ArgumentOutOfRangeException(nameof(horizon), horizon, $"This LSTM forecasts at most {hyper.Horizon} steps.");
        }

        const int block = 1024;
        var head = new QuantileHead(hyper, Math.Min(block, Count));
        var parameters = _network.Parameters;
        var result = new double[Count][][];
        for (int start = 0; start < Count; start += block)
        {
            int rows = Math.Min(block, Count - start);
            for (int r = 0; r < rows; r++)
            {
                var input = head.Input(r);
                _stepper.Top(start + r).CopyTo(input);
                _features[start + r].Anchors(input[hyper.Hidden..]);
            }

            head.Forward(parameters.AsSpan(_network.HeadWeightOffset, hyper.HeadInput * hyper.HeadOutput), parameters.AsSpan(_network.HeadBiasOffset, hyper.HeadOutput), rows);
            for (int r = 0; r < rows; r++)
            {
                result[start + r] = QuantileReader.Read(head.Output(r), hyper, horizon, quantiles, _features[start + r]);
            }
        }

        return result;
    }
}
