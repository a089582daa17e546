using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Models.Neural;

/// <summary>
/// The global LSTM as a model: either loaded from a model file (Fit then does nothing) or trained by Fit on the
/// training parts it is given. Each opened series streams its history through the network once and then
/// advances one step per observation.
/// </summary>
public sealed class LstmModel : IForecastModel
{
    private readonly LstmHyperParameters _hyper;
    private readonly LstmTrainingOptions _options;
    private LstmNetwork? _network;

    /// <summary>A model that trains itself in <see cref="Fit"/>.</summary>
    public LstmModel(LstmHyperParameters hyper, LstmTrainingOptions options)
    {
        _hyper = hyper ?? throw new ArgumentNullException(nameof(hyper));
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>A trained model.</summary>
    public LstmModel(LstmNetwork network)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _hyper = network.Hyper;
        _options = new LstmTrainingOptions();
    }

    public string Name => ModelNames.Lstm;

    public LstmNetwork Network => _network ?? throw new InvalidOperationException("The LSTM has not been trained yet.");

    public LstmTrainingResult? Training { get; private set; }

    public void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation)
    {
        if (_network is not null)
        {
            return;
        }

        var reporter = progress is null ? null : new LineProgress(progress);
        Training = LstmTrainer.Train(trainingParts, _hyper, _options, reporter, cancellation);
        _network = Training.Network;
        progress?.Report(string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"lstm: trained {Training.Epochs} epochs in {Training.TrainingTime.TotalSeconds:0.0} s ({Training.WindowsPerSecond:0} windows/s of {_hyper.Window} steps), validation loss {Training.BestValidationLoss:0.0000}; stopped: {Training.StopReason}"));
    }

    public ISeriesForecaster Open(TimeSeries history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Length == 0)
        {
            throw new ArgumentException("The LSTM needs at least one observation.", nameof(history));
        }

        var forecaster = new LstmSeriesForecaster(Network, LstmFeatures.For(history, Network.Hyper.Horizon));
        for (int i = 0; i < history.Length; i++)
        {
            forecaster.Observe(history.Timestamps[i], history.Values[i]);
        }

        return forecaster;
    }

    private sealed class LineProgress(IProgress<string> lines) : IProgress<LstmTrainingProgress>
    {
        public void Report(LstmTrainingProgress value)
        {
            if (value.ValidationLoss is { } validation)
            {
                lines.Report(string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"lstm: epoch {value.Epoch}/{value.Epochs} train loss {value.TrainLoss:0.0000} validation {validation:0.0000} (best {value.BestValidationLoss:0.0000}), {value.WindowsPerSecond:0} windows/s"));
            }
        }
    }
}

/// <summary>One series' streaming LSTM forecaster: its features, its hidden state, and the quantile head.</summary>
public sealed class LstmSeriesForecaster : ISeriesForecaster
{
    private readonly LstmNetwork _network;
    private readonly LstmFeatures _features;
    private readonly LstmStepper _stepper;
    private readonly QuantileHead _head;
    private readonly float[] _inputs = new float[LstmFeatures.InputSize];

    public LstmSeriesForecaster(LstmNetwork network, LstmFeatures features)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _features = features ?? throw new ArgumentNullException(nameof(features));
        _stepper = new LstmStepper(network, 1);
        _head = new QuantileHead(network.Hyper, 1);
    }

    public void Observe(double timestamp, double value)
    {
        _features.Push(timestamp, value, _inputs);
        _stepper.Step(_inputs, 0, 1, 1);
    }

    public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
    {
        ForecastArguments.Validate(horizon, quantiles);
        var hyper = _network.Hyper;
        if (horizon > hyper.Horizon)
        {
            throw new ArgumentOutOfRangeException(nameof(horizon), horizon, $"This LSTM forecasts at most {hyper.Horizon} steps.");
        }

        var input = _head.Input(0);
        _stepper.Top(0).CopyTo(input);
        _features.Anchors(input[hyper.Hidden..]);
        var parameters = _network.Parameters;
        _head.Forward(parameters.AsSpan(_network.HeadWeightOffset, hyper.HeadInput * hyper.HeadOutput), parameters.AsSpan(_network.HeadBiasOffset, hyper.HeadOutput), 1);
        return QuantileReader.Read(_head.Output(0), hyper, horizon, quantiles, _features);
    }
}

/// <summary>Turns the head's normalised outputs into forecasts at any requested levels within the trained ones.</summary>
public static class QuantileReader
{
    public static double[][] Read(ReadOnlySpan<float> outputs, LstmHyperParameters hyper, int horizon, ReadOnlySpan<double> quantiles, LstmFeatures features)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        ArgumentNullException.ThrowIfNull(features);
        var levels = hyper.Quantiles;
        int count = levels.Count;
        var result = new double[quantiles.Length][];
        Span<float> column = stackalloc float[count];
        for (int q = 0; q < quantiles.Length; q++)
        {
            if (quantiles[q] < levels[0] - 1e-12 || quantiles[q] > levels[^1] + 1e-12)
            {
                throw new ArgumentOutOfRangeException(nameof(quantiles), quantiles[q], $"This LSTM was trained for quantiles {levels[0]} to {levels[^1]}.");
            }

            result[q] = new double[horizon];
        }

        for (int h = 0; h < horizon; h++)
        {
            // Rearranged (sorted) so that interpolated levels never cross.
            outputs.Slice(h * count, count).CopyTo(column);
            column.Sort();
            for (int q = 0; q < quantiles.Length; q++)
            {
                result[q][h] = features.Denormalise(Interpolate(column, levels, quantiles[q]));
            }
        }

        return result;
    }

    private static float Interpolate(ReadOnlySpan<float> values, IReadOnlyList<double> levels, double level)
    {
        int upper = 1;
        while (upper < levels.Count - 1 && levels[upper] < level)
        {
            upper++;
        }

        if (levels.Count == 1)
        {
            return values[0];
        }

        int lower = upper - 1;
        double t = Math.Clamp((level - levels[lower]) / (levels[upper] - levels[lower]), 0, 1);
        return (float)(values[lower] + (t * (values[upper] - values[lower])));
    }
}
