using System.Numerics.Tensors;
using Shardcast.Models.Series;

namespace Shardcast.Models.Neural;

/// <summary>How a training run is bounded, checkpointed and resumed.</summary>
public sealed record LstmTrainingOptions
{
    /// <summary>Stops after this much wall-clock time (keeping the best weights so far), once at least one batch has trained.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>What the time budget, the progress and the throughput are measured by (tests drive it by hand).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Written after every epoch (atomically): the weights and everything `--resume` needs.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>A checkpoint to continue from; its hyper-parameters replace the ones given.</summary>
    public LstmModelContents? Resume { get; init; }
}

public sealed record LstmTrainingProgress(
    int Epoch, int Epochs, int Batch, int BatchesPerEpoch, double TrainLoss, double? ValidationLoss, double BestValidationLoss, TimeSpan Elapsed, TimeSpan? Remaining, double WindowsPerSecond);

public sealed record LstmTrainingResult(
    LstmNetwork Network, LstmFeatureStatistics Statistics, int Epochs, double BestValidationLoss, long Windows, long WindowSteps, TimeSpan TrainingTime, string StopReason)
{
    public double WindowsPerSecond => Windows / Math.Max(1e-9, TrainingTime.TotalSeconds);

    public double WindowStepsPerSecond => WindowSteps / Math.Max(1e-9, TrainingTime.TotalSeconds);
}

/// <summary>
/// Trains the global forecasting LSTM on many series: mini-batches of windows drawn across series, the pinball
/// loss of the direct quantile head after each window's burn-in, backpropagation through time, global-norm
/// gradient clipping, Adam, averaged weights; early stopping on each series' validation tail, scored the way
/// the model is used (streaming from the series' start). A batch is cut into a fixed number of shards computed
/// on all cores and summed in shard order, so a seed gives identical weights whatever the thread count.
/// </summary>
public static class LstmTrainer
{
    private const int Shards = 8;

    /// <summary>
    /// The weights validated, kept and shipped are an exponential moving average of the optimiser's (Polyak
    /// averaging): far less sensitive to the last few noisy batches than the raw weights.
    /// </summary>
    private const float AverageDecay = 0.99f;

    public static LstmTrainingResult Train(
        IReadOnlyList<TimeSeries> series, LstmHyperParameters hyper, LstmTrainingOptions options, IProgress<LstmTrainingProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(options);
        var resume = options.Resume;
        hyper = resume?.Network.Hyper ?? hyper ?? throw new ArgumentNullException(nameof(hyper));
        hyper.Validate();
        var clock = new Elapsed(options.Clock);
        var prepared = series.Select(s => PreparedSeries.Prepare(s, hyper)).ToArray();
        var usable = prepared.Where(p => p.LastWindowStart >= 0).ToArray();
        if (usable.Length == 0)
        {
            int needed = hyper.Window + hyper.Horizon + PreparedSeries.MinimumValidation(hyper);
            throw new ArgumentException($"No series is long enough to train on: windows of {hyper.Window} steps need about {needed / 0.9:0} points per series.");
        }

        var statistics = PreparedSeries.Statistics(prepared);
        var network = resume is null ? LstmNetwork.Initialise(hyper) : new LstmNetwork(hyper, (float[])resume.Network.Parameters.Clone());
        var parameters = network.Parameters;
        int count = parameters.Length;
        var state = resume?.Training;
        var adamFirst = state?.AdamFirst ?? new float[count];
        var adamSecond = state?.AdamSecond ?? new float[count];
        var best = state?.BestParameters ?? (float[])parameters.Clone();
        var average = state?.AverageParameters ?? (float[])parameters.Clone();
        var averaged = new LstmNetwork(hyper, average);
        var random = new SplitMix64(state?.RandomState ?? hyper.Seed ^ 0x5DEECE66DUL);
        double bestValidation = state?.BestValidationLoss ?? double.PositiveInfinity;
        int badEpochs = state?.EpochsWithoutImprovement ?? 0;
        long step = state?.Step ?? 0;
        int epoch = state?.Epoch ?? 0;

        int rowsPerShard = (hyper.BatchSize + Shards - 1) / Shards;
        var shards = Enumerable.Range(0, Shards).Select(_ => new Shard(hyper, rowsPerShard, count)).ToArray();
        var gradient = new float[count];
        var windows = new (PreparedSeries Series, int Start)[hyper.BatchSize];
        int lossPositions = LossPositions(hyper).Count();
        float weight = 1f / (hyper.BatchSize * lossPositions * hyper.Horizon * hyper.Quantiles.Count);
        long windowsDone = 0;
        string stopReason = "epochs done";
        var trainingClock = new Elapsed(options.Clock);
        if (double.IsPositiveInfinity(bestValidation))
        {
            bestValidation = ValidationLoss(averaged, prepared, options.Threads);
        }

        while (epoch < hyper.Epochs)
        {
            double epochLoss = 0;
            int batch = 0;
            for (; batch < hyper.BatchesPerEpoch; batch++)
            {
                cancellation.ThrowIfCancellationRequested();
                if (options.TimeBudget is { } budget && windowsDone > 0 && clock.Value >= budget)
                {
                    stopReason = "time budget";
                    break;
                }

                for (int w = 0; w < windows.Length; w++)
                {
                    var s = usable[random.NextInt(usable.Length)];
                    windows[w] = (s, random.NextInt(s.LastWindowStart + 1));
                }

                Parallel.For(0, Shards, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads) }, i =>
                {
                    int from = Math.Min(i * rowsPerShard, hyper.BatchSize);
                    int rows = Math.Min(hyper.BatchSize - from, rowsPerShard);
                    shards[i].Run(network, windows.AsSpan(from, rows), weight);
                });

                gradient.AsSpan().Clear();
                double loss = 0;
                foreach (var shard in shards)
                {
                    TensorPrimitives.Add(gradient, shard.Gradient, gradient);
                    loss += shard.Loss;
                }

                loss *= weight;
                epochLoss += loss;
                ClipByGlobalNorm(gradient, hyper.ClipNorm);
                step++;
                double rate = hyper.LearningRate * Math.Pow(0.5, badEpochs / 2);
                Adam(parameters, gradient, adamFirst, adamSecond, step, rate);
                TensorPrimitives.Lerp(average, parameters, 1 - AverageDecay, average);
                windowsDone += hyper.BatchSize;
                if (progress is not null && (batch % 10 == 9 || batch == hyper.BatchesPerEpoch - 1))
                {
                    progress.Report(Progress(epoch, batch + 1, epochLoss / (batch + 1), null));
                }
            }

            if (batch == 0)
            {
                break;
            }

            double validation = ValidationLoss(averaged, prepared, options.Threads);
            epoch++;
            if (validation < bestValidation)
            {
                bestValidation = validation;
                Array.Copy(average, best, count);
                badEpochs = 0;
            }
            else
            {
                badEpochs++;
            }

            progress?.Report(Progress(epoch - 1, batch, epochLoss / batch, validation));
            if (options.CheckpointPath is { } path)
            {
                LstmModelFile.Write(path, new LstmModelContents(network, statistics, Describe(series), CurrentState()));
            }

            if (stopReason == "time budget")
            {
                break;
            }

            if (badEpochs >= hyper.Patience)
            {
                stopReason = $"early stopping: no better validation loss in {hyper.Patience} epochs";
                break;
            }
        }

        var result = new LstmNetwork(hyper, (float[])best.Clone());
        return new LstmTrainingResult(result, statistics, epoch, bestValidation, windowsDone, windowsDone * hyper.Window, trainingClock.Value, stopReason);

        LstmTrainingState CurrentState() => new(epoch, step, random.State, bestValidation, badEpochs, adamFirst, adamSecond, best, average);

        LstmTrainingProgress Progress(int e, int b, double trainLoss, double? validation)
        {
            double seconds = trainingClock.Value.TotalSeconds;
            double done = (e * (double)hyper.BatchesPerEpoch) + b;
            double total = (double)hyper.Epochs * hyper.BatchesPerEpoch;
            TimeSpan? remaining = done > 0 ? TimeSpan.FromSeconds(seconds / done * Math.Max(0, total - done)) : null;
            if (options.TimeBudget is { } budget && remaining is { } r && clock.Value + r > budget)
            {
                remaining = budget > clock.Value ? budget - clock.Value : TimeSpan.Zero;
            }

            return new LstmTrainingProgress(e + 1, hyper.Epochs, b, hyper.BatchesPerEpoch, trainLoss, validation, bestValidation, clock.Value, remaining, windowsDone / Math.Max(1e-9, seconds));
        }
    }

    /// <summary>The window offsets where the loss is taken: after the burn-in, every LossStride steps, and always the last.</summary>
    internal static IEnumerable<int> LossPositions(LstmHyperParameters hyper)
    {
        for (int t = hyper.Window - 1; t >= hyper.BurnIn; t -= hyper.LossStride)
        {
            yield return t;
        }
    }

    /// <summary>
    /// Mean pinball loss (normalised units) on every series' validation tail, forecasting every Horizon steps
    /// while streaming each series from its start: the regime the model is used in.
    /// </summary>
    public static double ValidationLoss(LstmNetwork network, IReadOnlyList<PreparedSeries> series, int threads)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(series);
        var hyper = network.Hyper;
        int rows = series.Count;
        int longest = series.Max(s => s.Length);
        var stepper = new LstmStepper(network, rows);
        var head = new QuantileHead(hyper, rows);
        var inputs = new float[rows * LstmFeatures.InputSize];
        var targets = new float[rows * hyper.Horizon];
        double loss = 0;
        long terms = 0;
        var headWeights = network.Parameters.AsSpan(network.HeadWeightOffset, hyper.HeadInput * hyper.HeadOutput);
        var headBias = network.Parameters.AsSpan(network.HeadBiasOffset, hyper.HeadOutput);
        for (int tau = 0; tau < longest; tau++)
        {
            // Right-aligned: every series ends at the last step; rows not yet started stay at zero state.
            for (int r = 0; r < rows; r++)
            {
                int t = tau - (longest - series[r].Length);
                var row = inputs.AsSpan(r * LstmFeatures.InputSize, LstmFeatures.InputSize);
                if (t >= 0)
                {
                    series[r].Inputs.AsSpan(t * LstmFeatures.InputSize, LstmFeatures.InputSize).CopyTo(row);
                }
                else
                {
                    row.Clear();
                }
            }

            stepper.Step(inputs, 0, rows, threads);
            int headRows = 0;
            for (int r = 0; r < rows; r++)
            {
                var s = series[r];
                int t = tau - (longest - s.Length);
                if (t < 0)
                {
                    stepper.Reset(r);
                    continue;
                }

                if (!s.IsValidationPosition(t))
                {
                    continue;
                }

                var input = head.Input(headRows);
                stepper.Top(r).CopyTo(input);
                s.Anchors.AsSpan(t * hyper.Horizon, hyper.Horizon).CopyTo(input[hyper.Hidden..]);
                s.Targets.AsSpan(t * hyper.Horizon, hyper.Horizon).CopyTo(targets.AsSpan(headRows * hyper.Horizon));
                headRows++;
            }

            if (headRows > 0)
            {
                head.Forward(headWeights, headBias, headRows);
                loss += head.Loss(targets, headRows, 0);
                terms += (long)headRows * hyper.HeadOutput;
            }
        }

        return terms == 0 ? double.PositiveInfinity : loss / terms;
    }

    private static void ClipByGlobalNorm(float[] gradient, double maxNorm)
    {
        double norm = Math.Sqrt(TensorPrimitives.SumOfSquares<float>(gradient));
        if (norm > maxNorm)
        {
            TensorPrimitives.Multiply(gradient, (float)(maxNorm / norm), gradient);
        }
    }

    private static void Adam(float[] parameters, float[] gradient, float[] first, float[] second, long step, double rate)
    {
        const float beta1 = 0.9f;
        const float beta2 = 0.999f;
        const float epsilon = 1e-8f;
        float correction1 = 1 - MathF.Pow(beta1, step);
        float correction2 = 1 - MathF.Pow(beta2, step);
        float stepSize = (float)rate * MathF.Sqrt(correction2) / correction1;
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradient[i];
            first[i] = (beta1 * first[i]) + ((1 - beta1) * g);
            second[i] = (beta2 * second[i]) + ((1 - beta2) * g * g);
            parameters[i] -= stepSize * first[i] / (MathF.Sqrt(second[i]) + epsilon);
        }
    }

    private static string Describe(IReadOnlyList<TimeSeries> series) =>
        $"trained on {series.Count} series, {series.Sum(s => (long)s.Length)} points: {string.Join(", ", series.Take(8).Select(s => s.Name))}{(series.Count > 8 ? ", ..." : "")}";

    /// <summary>One shard's workspace: a slice of the batch's windows through the network and back.</summary>
    private sealed class Shard
    {
        private readonly LstmHyperParameters _hyper;
        private readonly LstmSequence _sequence;
        private readonly QuantileHead _head;
        private readonly float[] _inputs;
        private readonly float[] _targets;
        private readonly int[] _positions;

        public Shard(LstmHyperParameters hyper, int rows, int parameterCount)
        {
            _hyper = hyper;
            _positions = [.. LossPositions(hyper)];
            _sequence = new LstmSequence(hyper.Shape, hyper.Window, rows);
            _head = new QuantileHead(hyper, _positions.Length * rows);
            _inputs = new float[hyper.Window * rows * LstmFeatures.InputSize];
            _targets = new float[_positions.Length * rows * hyper.Horizon];
            Gradient = new float[parameterCount];
        }

        public float[] Gradient { get; }

        public double Loss { get; private set; }

        public void Run(LstmNetwork network, ReadOnlySpan<(PreparedSeries Series, int Start)> windows, float weight)
        {
            Gradient.AsSpan().Clear();
            Loss = 0;
            int rows = windows.Length;
            if (rows == 0)
            {
                return;
            }

            var hyper = _hyper;
            int inputSize = LstmFeatures.InputSize;
            int hidden = hyper.Hidden;
            for (int b = 0; b < rows; b++)
            {
                var (s, start) = windows[b];
                for (int t = 0; t < hyper.Window; t++)
                {
                    s.Inputs.AsSpan((start + t) * inputSize, inputSize).CopyTo(_inputs.AsSpan(((t * rows) + b) * inputSize));
                }
            }

            var parameters = network.Parameters;
            _sequence.Forward(parameters, _inputs, hyper.Window, rows);
            var top = _sequence.TopOutput;
            for (int k = 0; k < _positions.Length; k++)
            {
                int t = _positions[k];
                for (int b = 0; b < rows; b++)
                {
                    var (s, start) = windows[b];
                    int row = (k * rows) + b;
                    var input = _head.Input(row);
                    top.Slice(((t * rows) + b) * hidden, hidden).CopyTo(input);
                    s.Anchors.AsSpan((start + t) * hyper.Horizon, hyper.Horizon).CopyTo(input[hidden..]);
                    s.Targets.AsSpan((start + t) * hyper.Horizon, hyper.Horizon).CopyTo(_targets.AsSpan(row * hyper.Horizon));
                }
            }

            int headRows = _positions.Length * rows;
            var headWeights = parameters.AsSpan(network.HeadWeightOffset, hyper.HeadInput * hyper.HeadOutput);
            _head.Forward(headWeights, parameters.AsSpan(network.HeadBiasOffset, hyper.HeadOutput), headRows);
            Loss = _head.Loss(_targets, headRows, weight);
            _head.Backward(
                headWeights, Gradient.AsSpan(network.HeadWeightOffset, hyper.HeadInput * hyper.HeadOutput), Gradient.AsSpan(network.HeadBiasOffset, hyper.HeadOutput), headRows);
            var topGradient = _sequence.TopOutputGradient;
            for (int k = 0; k < _positions.Length; k++)
            {
                int t = _positions[k];
                for (int b = 0; b < rows; b++)
                {
                    var into = topGradient.Slice(((t * rows) + b) * hidden, hidden);
                    TensorPrimitives.Add(into, _head.StateGradient((k * rows) + b), into);
                }
            }

            _sequence.Backward(parameters, Gradient, default);
        }
    }

    /// <summary>Time since it was made, read from a <see cref="TimeProvider"/>.</summary>
    private sealed class Elapsed(TimeProvider clock)
    {
        private readonly long _start = clock.GetTimestamp();

        public TimeSpan Value => clock.GetElapsedTime(_start);
    }
}

/// <summary>
/// One training series computed once: the LSTM inputs, the head's anchors and the normalised targets at every
/// position, and where its validation tail starts (windows take their targets only before it).
/// </summary>
public sealed class PreparedSeries
{
    private PreparedSeries(string name, int length, int horizon, int fitEnd, float[] inputs, float[] anchors, float[] targets, int lastWindowStart)
    {
        Name = name;
        Length = length;
        Horizon = horizon;
        FitEnd = fitEnd;
        Inputs = inputs;
        Anchors = anchors;
        Targets = targets;
        LastWindowStart = lastWindowStart;
    }

    public string Name { get; }

    public int Length { get; }

    public int Horizon { get; }

    /// <summary>Positions before this index hold the training targets; the rest is the validation tail.</summary>
    public int FitEnd { get; }

    public float[] Inputs { get; }

    public float[] Anchors { get; }

    public float[] Targets { get; }

    /// <summary>The last window start whose every loss target lies before <see cref="FitEnd"/>; negative when none does.</summary>
    public int LastWindowStart { get; }

    public static int MinimumValidation(LstmHyperParameters hyper) => 4 * (hyper?.Horizon ?? 0);

    /// <summary>Forecast positions in the validation tail: after observing t, forecast t+1..t+H, every H steps.</summary>
    public bool IsValidationPosition(int t) => t >= FitEnd - 1 && t + Horizon < Length && (t - (FitEnd - 1)) % Horizon == 0;

    public static PreparedSeries Prepare(TimeSeries series, LstmHyperParameters hyper)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(hyper);
        int n = series.Length;
        int horizon = hyper.Horizon;
        var features = LstmFeatures.For(series, horizon);
        var inputs = new float[n * LstmFeatures.InputSize];
        var anchors = new float[n * horizon];
        var targets = new float[n * horizon];
        for (int t = 0; t < n; t++)
        {
            features.Push(series.Timestamps[t], series.Values[t], inputs.AsSpan(t * LstmFeatures.InputSize, LstmFeatures.InputSize));
            features.Anchors(anchors.AsSpan(t * horizon, horizon));
            for (int h = 1; h <= horizon; h++)
            {
                targets[(t * horizon) + h - 1] = t + h < n ? (float)((series.Values[t + h] - series.Values[t]) / features.Scale) : 0;
            }
        }

        int validation = Math.Max(MinimumValidation(hyper), n / 10);
        int fitEnd = n - validation;
        int lastStart = fitEnd - hyper.Window - horizon;
        return new PreparedSeries(series.Name, n, horizon, fitEnd, inputs, anchors, targets, lastStart);
    }

    /// <summary>Each input's mean and standard deviation over every prepared position.</summary>
    public static LstmFeatureStatistics Statistics(IReadOnlyList<PreparedSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        int size = LstmFeatures.InputSize;
        var sum = new double[size];
        var squares = new double[size];
        long points = 0;
        foreach (var s in series)
        {
            for (int t = 0; t < s.Length; t++)
            {
                for (int i = 0; i < size; i++)
                {
                    double v = s.Inputs[(t * size) + i];
                    sum[i] += v;
                    squares[i] += v * v;
                }
            }

            points += s.Length;
        }

        var means = sum.Select(v => v / Math.Max(1, points)).ToArray();
        var deviations = squares.Select((v, i) => Math.Sqrt(Math.Max(0, (v / Math.Max(1, points)) - (means[i] * means[i])))).ToArray();
        return new LstmFeatureStatistics(LstmFeatureStatistics.CurrentFeatureSet, LstmFeatures.Clip, series.Count, points, means, deviations);
    }
}
