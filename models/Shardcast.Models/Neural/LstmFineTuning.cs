using Shardcast.Models.Series;

namespace Shardcast.Models.Neural;

/// <summary>How a served model is fine-tuned on recent data, and when the result is kept.</summary>
public sealed record LstmFineTuneOptions
{
    /// <summary>Wall-clock limit of the training (the best weights so far are kept when it runs out).</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromSeconds(30);

    public int Epochs { get; init; } = 4;

    /// <summary>The learning rate as a share of the one the model was trained with: a fine-tune nudges, it does not retrain.</summary>
    public double LearningRateScale { get; init; } = 0.5;

    /// <summary>Cores the training takes; a server leaves the others to its requests.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>The candidate is kept only where its loss on the recent tail is at least this share below the current model's.</summary>
    public double MinGain { get; init; } = 0.02;

    /// <summary>Points per series used, the newest: older ones describe a pattern that may be gone.</summary>
    public int MaxPoints { get; init; } = 4032;

    public ulong Seed { get; init; } = 1;
}

/// <summary>What a fine-tune did: the losses on the recent tail, and the model kept (null: the current one stays).</summary>
public sealed record LstmFineTuneOutcome(LstmNetwork? Accepted, double CurrentLoss, double CandidateLoss, int Series, long Points, TimeSpan Took, string Verdict);

/// <summary>
/// Fine-tunes a trained LSTM on recent series and keeps the result only where it forecasts their newest data
/// better. Every series is cut into a head and a tail (its last max(4 H, n/10) points, as a training run's
/// validation tail is cut); the model trains from its own weights, at a fraction of its learning rate, on the heads
/// alone (early-stopped on the heads' own validation tails), and the current and the candidate model are then both
/// scored on the tails, which the training never saw, streaming each series from its start as the model is used.
/// </summary>
public static class LstmFineTuning
{
    public static LstmFineTuneOutcome Run(LstmNetwork current, IReadOnlyList<TimeSeries> recent, LstmFineTuneOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(recent);
        ArgumentNullException.ThrowIfNull(options);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var hyper = current.Hyper;
        var newest = recent.Select(s => s.Length > options.MaxPoints ? Tail(s, options.MaxPoints) : s).ToList();
        var heads = new List<TimeSeries>();
        var scored = new List<PreparedSeries>();
        foreach (var series in newest)
        {
            var whole = PreparedSeries.Prepare(series, hyper);
            var head = series.Head(whole.FitEnd);
            if (PreparedSeries.Prepare(head, hyper).LastWindowStart >= 0)
            {
                heads.Add(head);
                scored.Add(whole);
            }
        }

        long points = scored.Sum(s => (long)s.Length);
        if (heads.Count == 0)
        {
            int needed = (int)Math.Ceiling((hyper.Window + hyper.Horizon + PreparedSeries.MinimumValidation(hyper)) / 0.81);
            return new LstmFineTuneOutcome(null, double.NaN, double.NaN, 0, 0, clock.Elapsed, $"no series long enough: a fine-tune needs about {needed} points in one");
        }

        double before = LstmTrainer.ValidationLoss(current, scored, options.Threads);
        var tuning = hyper with { Epochs = options.Epochs, LearningRate = hyper.LearningRate * options.LearningRateScale, Seed = options.Seed };
        var start = new LstmNetwork(tuning, (float[])current.Parameters.Clone());
        var trained = LstmTrainer.Train(
            heads, tuning, new LstmTrainingOptions { TimeBudget = options.TimeBudget, Threads = options.Threads, Resume = new LstmModelContents(start, LstmFeatureStatistics.Empty, "", null) },
            null, cancellation);
        var candidate = new LstmNetwork(hyper, trained.Network.Parameters);
        double after = LstmTrainer.ValidationLoss(candidate, scored, options.Threads);
        bool keep = after < before * (1 - options.MinGain);
        string verdict = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{(keep ? "kept" : "discarded")}: loss on the newest tails {before:0.####} -> {after:0.####} ({(after / before) - 1:+0.0%;-0.0%}; kept below {-options.MinGain:0.0%}), {heads.Count} series, {trained.Epochs} epochs, {trained.StopReason}");
        return new LstmFineTuneOutcome(keep ? candidate : null, before, after, heads.Count, points, clock.Elapsed, verdict);
    }

    /// <summary>The mean pinball loss of a model on the newest tails of these series (the score a fine-tune is judged by).</summary>
    public static double TailLoss(LstmNetwork network, IReadOnlyList<TimeSeries> recent, int maxPoints, int threads)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(recent);
        var scored = recent.Select(s => s.Length > maxPoints ? Tail(s, maxPoints) : s).Select(s => PreparedSeries.Prepare(s, network.Hyper))
            .Where(p => p.FitEnd > network.Hyper.Window).ToList();
        return scored.Count == 0 ? double.NaN : LstmTrainer.ValidationLoss(network, scored, threads);
    }

    private static TimeSeries Tail(TimeSeries series, int points) =>
        new(series.Name, series.Timestamps[^points..], series.Values[^points..]);
}
