using Shardcast.Models.Backtesting;
using Shardcast.Models.Neural;
using Shardcast.Models.Series;
using Shardcast.Models.Tests.Backtesting;

namespace Shardcast.Models.Tests.Neural;

public class LstmTrainingTests
{
    private static readonly LstmHyperParameters Small = new()
    {
        Hidden = 16, Window = 48, BurnIn = 8, LossStride = 2, BatchSize = 16, BatchesPerEpoch = 12, Epochs = 3, Patience = 10, Seed = 7,
    };

    [Fact]
    public void Streaming_one_step_at_a_time_equals_the_sequence_forward()
    {
        var hyper = Small with { Layers = 2 };
        var network = LstmNetwork.Initialise(hyper);
        var random = new Random(2);
        int steps = 20, rows = 3;
        var inputs = Enumerable.Range(0, steps * rows * LstmFeatures.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var sequence = new LstmSequence(hyper.Shape, steps, rows);
        sequence.Forward(network.Parameters, inputs, steps, rows);
        var stepper = new LstmStepper(network, rows);
        for (int t = 0; t < steps; t++)
        {
            stepper.Step(inputs.AsSpan(t * rows * LstmFeatures.InputSize), 0, rows, 1);
            for (int b = 0; b < rows; b++)
            {
                var expected = sequence.TopOutput.Slice(((t * rows) + b) * hyper.Hidden, hyper.Hidden).ToArray();
                var actual = stepper.Top(b).ToArray();
                for (int j = 0; j < hyper.Hidden; j++)
                {
                    Assert.Equal(expected[j], actual[j], 5e-6f);
                }
            }
        }
    }

    [Fact]
    public void The_heads_gradient_matches_finite_differences()
    {
        var hyper = Small;
        var network = LstmNetwork.Initialise(hyper);
        var random = new Random(4);
        var head = new QuantileHead(hyper, 5);
        for (int r = 0; r < 5; r++)
        {
            var input = head.Input(r);
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (float)(random.NextDouble() * 2 - 1);
            }
        }

        var targets = Enumerable.Range(0, 5 * hyper.Horizon).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var weights = network.Parameters.AsSpan(network.HeadWeightOffset, hyper.HeadInput * hyper.HeadOutput).ToArray();
        var bias = network.Parameters.AsSpan(network.HeadBiasOffset, hyper.HeadOutput).ToArray();
        double Loss()
        {
            head.Forward(weights, bias, 5);
            return head.Loss(targets, 5, 1);
        }

        Loss();
        var weightGradient = new float[weights.Length];
        var biasGradient = new float[bias.Length];
        head.Backward(weights, weightGradient, biasGradient, 5);
        foreach (int i in Enumerable.Range(0, 40).Select(_ => random.Next(weights.Length)))
        {
            float saved = weights[i];
            weights[i] = saved + 1e-2f;
            double up = Loss();
            weights[i] = saved - 1e-2f;
            double down = Loss();
            weights[i] = saved;
            Assert.Equal((up - down) / 2e-2, weightGradient[i], 1e-2);
        }
    }

    [Fact]
    public void Training_lowers_the_validation_loss_on_seasonal_series()
    {
        var set = Enumerable.Range(0, 4).Select(i => Synthetic.Daily($"s{i}", days: 12, stepMinutes: 60, seed: i, noise: 1.0, level: 10 + (5 * i))).ToList();
        var hyper = Small with { Epochs = 6, BatchesPerEpoch = 20 };
        var initial = LstmTrainer.ValidationLoss(LstmNetwork.Initialise(hyper), [.. set.Select(s => PreparedSeries.Prepare(s, hyper))], 1);
        var result = LstmTrainer.Train(set, hyper, new LstmTrainingOptions(), null, CancellationToken.None);
        Assert.True(result.BestValidationLoss < 0.8 * initial, $"validation {initial} -> {result.BestValidationLoss}");
    }

    [Fact]
    public void A_time_budget_stops_training_after_the_batch_that_reaches_it_keeping_the_best_weights()
    {
        // The clock moves one second each time it is read, so the budget is reached after a count of reads on any
        // machine; at least one batch always trains (a budget spent before the first batch trained nothing).
        var set = Enumerable.Range(0, 3).Select(i => Synthetic.Daily($"s{i}", 8, 60, i)).ToList();
        var hyper = Small with { Epochs = 50, BatchesPerEpoch = 10 };
        var progress = new List<LstmTrainingProgress>();
        var result = LstmTrainer.Train(set, hyper, new LstmTrainingOptions { Threads = 1, TimeBudget = TimeSpan.FromSeconds(40), Clock = new TickingClock() }, new Progress(progress), CancellationToken.None);
        Assert.Equal("time budget", result.StopReason);
        Assert.InRange(result.Epochs, 1, 49);
        Assert.True(result.Windows > 0);
        Assert.True(double.IsFinite(result.BestValidationLoss));
        Assert.All(progress, p => Assert.True(p.Remaining is null || p.Remaining >= TimeSpan.Zero, $"remaining {p.Remaining} at epoch {p.Epoch}"));
        var unbounded = LstmTrainer.Train(set, hyper with { Epochs = 2 }, new LstmTrainingOptions { Threads = 1, Clock = new TickingClock() }, null, CancellationToken.None);
        Assert.Equal("epochs done", unbounded.StopReason);
    }

    private sealed class TickingClock : TimeProvider
    {
        private long _seconds;

        public override long TimestampFrequency => 1;

        public override long GetTimestamp() => Interlocked.Increment(ref _seconds);
    }

    private sealed class Progress(List<LstmTrainingProgress> seen) : IProgress<LstmTrainingProgress>
    {
        public void Report(LstmTrainingProgress value) => seen.Add(value);
    }

    [Fact]
    public void A_seed_gives_identical_weights_whatever_the_thread_count()
    {
        var set = Enumerable.Range(0, 3).Select(i => Synthetic.Daily($"s{i}", 8, 60, i)).ToList();
        var one = LstmTrainer.Train(set, Small, new LstmTrainingOptions { Threads = 1 }, null, CancellationToken.None);
        var two = LstmTrainer.Train(set, Small, new LstmTrainingOptions { Threads = 2 }, null, CancellationToken.None);
        Assert.Equal(one.Network.Parameters, two.Network.Parameters);
        var other = LstmTrainer.Train(set, Small with { Seed = 8 }, new LstmTrainingOptions { Threads = 2 }, null, CancellationToken.None);
        Assert.NotEqual(one.Network.Parameters, other.Network.Parameters);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_exactly_where_training_stopped()
    {
        var set = Enumerable.Range(0, 3).Select(i => Synthetic.Daily($"s{i}", 8, 60, i)).ToList();
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string checkpoint = Path.Combine(folder, "c.ckpt");
            var straight = LstmTrainer.Train(set, Small with { Epochs = 4 }, new LstmTrainingOptions(), null, CancellationToken.None);
            LstmTrainer.Train(set, Small with { Epochs = 2 }, new LstmTrainingOptions { CheckpointPath = checkpoint }, null, CancellationToken.None);
            var saved = LstmModelFile.Read(checkpoint);
            Assert.Equal(2, saved.Training!.Epoch);
            var resumed = saved with { Network = new LstmNetwork(saved.Network.Hyper with { Epochs = 4 }, saved.Network.Parameters) };
            var continued = LstmTrainer.Train(set, Small, new LstmTrainingOptions { Resume = resumed }, null, CancellationToken.None);
            Assert.Equal(straight.Network.Parameters, continued.Network.Parameters);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Series_too_short_for_a_window_are_refused_with_the_length_needed()
    {
        var tiny = Synthetic.Daily("tiny", 2, 60, 1);
        var e = Assert.Throws<ArgumentException>(() => LstmTrainer.Train([tiny], Small, new LstmTrainingOptions(), null, CancellationToken.None));
        Assert.Contains("long enough", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forecasts_interpolate_between_trained_levels_and_refuse_levels_outside_them()
    {
        var network = LstmNetwork.Initialise(Small);
        var model = new LstmModel(network);
        var history = Synthetic.Daily("h", 3, 60, 1);
        var forecaster = model.Open(history);
        var f = forecaster.Forecast(12, [0.1, 0.3, 0.5, 0.9]);
        var trained = forecaster.Forecast(12, [0.25, 0.5]);
        for (int h = 0; h < 12; h++)
        {
            Assert.True(f[0][h] <= f[1][h] && f[1][h] <= f[2][h] && f[2][h] <= f[3][h]);
            Assert.InRange(f[1][h], trained[0][h], trained[1][h]);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => forecaster.Forecast(12, [0.01]));
        Assert.Throws<ArgumentOutOfRangeException>(() => forecaster.Forecast(13, [0.5]));
    }

    [Fact]
    public void Features_carry_changes_not_levels()
    {
        // The same shape at two levels gives the same inputs: what made per-series standardisation fail cannot happen.
        var low = Synthetic.Daily("low", 3, 60, 9, level: 10);
        var high = new TimeSeries("high", low.Timestamps, [.. low.Values.Select(v => v + 1000)]);
        var a = PreparedSeries.Prepare(low, Small);
        var b = PreparedSeries.Prepare(high, Small);
        for (int i = 0; i < a.Inputs.Length; i++)
        {
            Assert.Equal(a.Inputs[i], b.Inputs[i], 1e-3f);
        }

        Assert.Equal(a.Targets, b.Targets, (x, y) => Math.Abs(x - y) < 1e-3f);
        Assert.Equal(BacktestProtocol.Horizon, Small.Horizon);
    }
}

public class LstmBatchForecasterTests
{
    [Fact]
    public void The_batched_fleet_forecasts_what_each_series_forecasts_alone()
    {
        var hyper = new LstmHyperParameters { Hidden = 16, Seed = 5 };
        var network = LstmNetwork.Initialise(hyper);
        var histories = new[]
        {
            Synthetic.Daily("a", 3, 60, 1), Synthetic.Daily("b", 2, 60, 2), Synthetic.Daily("c", 5, 60, 3, level: 100),
        };
        var fleet = new LstmBatchForecaster(network, histories, threads: 2);
        var alone = histories.Select(h => new LstmModel(network).Open(h)).ToArray();
        for (int step = 0; step < 3; step++)
        {
            var batched = fleet.Forecast(12, [0.1, 0.5, 0.9]);
            for (int s = 0; s < histories.Length; s++)
            {
                var single = alone[s].Forecast(12, [0.1, 0.5, 0.9]);
                for (int q = 0; q < 3; q++)
                {
                    for (int h = 0; h < 12; h++)
                    {
                        Assert.Equal(single[q][h], batched[s][q][h], 1e-4 * (1 + Math.Abs(single[q][h])));
                    }
                }
            }

            double timestamp = histories.Max(h => h.Timestamps[^1]) + 3600;
            var values = new[] { 11.0 + step, 12.0, 105.0 - step };
            fleet.Observe(timestamp, values);
            for (int s = 0; s < histories.Length; s++)
            {
                alone[s].Observe(timestamp, values[s]);
            }
        }

        Assert.Throws<ArgumentException>(() => fleet.Observe(0, [1.0]));
    }
}
