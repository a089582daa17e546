namespace Shardcast.Models.Neural;

/// <summary>Everything that shapes and trains a forecasting LSTM; stored in its model file.</summary>
public sealed record LstmHyperParameters
{
    public int Hidden { get; init; } = 64;

    public int Layers { get; init; } = 1;

    public int Horizon { get; init; } = 12;

    /// <summary>The quantile levels the head is trained for; others are interpolated between them.</summary>
    public IReadOnlyList<double> Quantiles { get; init; } = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95];

    /// <summary>Steps per training window (backpropagation through time runs over all of them).</summary>
    public int Window { get; init; } = 144;

    /// <summary>Steps at a window's start that only build state; the loss is taken after them.</summary>
    public int BurnIn { get; init; } = 24;

    /// <summary>The loss is taken every this many steps after the burn-in.</summary>
    public int LossStride { get; init; } = 2;

    public int BatchSize { get; init; } = 64;

    public int BatchesPerEpoch { get; init; } = 100;

    public int Epochs { get; init; } = 40;

    /// <summary>Epochs without a better validation loss before training stops.</summary>
    public int Patience { get; init; } = 6;

    public double LearningRate { get; init; } = 2e-3;

    public double ClipNorm { get; init; } = 1.0;

    public ulong Seed { get; init; } = 1;

    public LstmShape Shape => new(LstmFeatures.InputSize, Hidden, Layers);

    /// <summary>The head's input: the top layer's state and one seasonal anchor per horizon step.</summary>
    public int HeadInput => Hidden + Horizon;

    public int HeadOutput => Horizon * Quantiles.Count;

    public void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok)
            {
                throw new ArgumentException($"LSTM hyper-parameter out of range: {what}.");
            }
        }

        Check(Hidden is >= 1 and <= 1024, $"hidden {Hidden} (1..1024)");
        Check(Layers is >= 1 and <= 8, $"layers {Layers} (1..8)");
        Check(Horizon is >= 1 and <= 1024, $"horizon {Horizon} (1..1024)");
        Check(Quantiles.Count is >= 1 and <= 64 && Quantiles.All(q => q is > 0 and < 1) && Quantiles.Zip(Quantiles.Skip(1)).All(p => p.First < p.Second), "quantiles (increasing, in (0, 1))");
        Check(Window >= 2 && BurnIn >= 0 && BurnIn < Window, $"window {Window} and burn-in {BurnIn}");
        Check(LossStride >= 1, $"loss stride {LossStride}");
        Check(BatchSize >= 1 && BatchesPerEpoch >= 1 && Epochs >= 0 && Patience >= 1, "batch size, batches per epoch, epochs and patience");
        Check(LearningRate > 0 && ClipNorm > 0, "learning rate and clip norm");
    }
}
