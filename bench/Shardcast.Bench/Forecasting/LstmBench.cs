using System.Diagnostics;
using System.Globalization;
using Shardcast.Models.Backtesting;
using Shardcast.Models.Neural;
using Shardcast.Models.Series;

namespace Shardcast.Bench.Forecasting;

/// <summary>
/// The LSTM's speed. `lstm-train`: training throughput (windows per second, forward and backward with the head
/// and the optimiser step) on a data set, at 1 thread and at every core, in windows of 288 steps as the PyTorch
/// reference was measured. `lstm-stream`: streaming inference over many series, series-steps per second, beside
/// replaying a 288-step window per forecast (what a window model must do) measured in the same process.
/// </summary>
internal static class LstmBench
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Train(string data, int batches, int window, TextWriter output)
    {
        var set = SeriesCsv.ReadAll([data]).Select(s => s.Head(BacktestProtocol.TrainingLength(s.Length))).ToList();
        var hyper = new LstmHyperParameters { Window = window, BatchesPerEpoch = batches, Epochs = 1, Patience = 100 };
        output.WriteLine(string.Create(C, $"training throughput: {set.Count} series from {data}, hidden {hyper.Hidden}, window {window}, batch {hyper.BatchSize}, loss every {hyper.LossStride} steps after {hyper.BurnIn}, {batches} batches"));
        foreach (int threads in new[] { 1, Environment.ProcessorCount }.Distinct())
        {
            var result = LstmTrainer.Train(set, hyper, new LstmTrainingOptions { Threads = threads }, null, CancellationToken.None);
            output.WriteLine(string.Create(C, $"  threads {threads}: {result.WindowsPerSecond,7:0} windows/s of {window} steps = {result.WindowStepsPerSecond / 1e3,6:0} k window-steps/s ({result.TrainingTime.TotalSeconds:0.0} s incl. one validation pass)"));
        }
    }

    public static void Stream(int series, int hidden, int steps, TextWriter output)
    {
        var network = LstmNetwork.Initialise(new LstmHyperParameters { Hidden = hidden });
        var random = new Random(1);
        const int history = 300;
        var histories = Enumerable.Range(0, series).Select(i => new TimeSeries(
            $"s{i}", [.. Enumerable.Range(0, history).Select(t => t * 300.0)], [.. Enumerable.Range(0, history).Select(_ => 10 + random.NextDouble())])).ToList();
        int threads = Environment.ProcessorCount;
        output.WriteLine(string.Create(C, $"streaming inference: {series} series, hidden {hidden}, {threads} threads"));
        var clock = Stopwatch.StartNew();
        var fleet = new LstmBatchForecaster(network, histories, threads);
        output.WriteLine(string.Create(C, $"  opening on {history} points each: {clock.Elapsed.TotalSeconds:0.0} s ({(double)series * history / clock.Elapsed.TotalSeconds / 1e6:0.00} M series-steps/s)"));
        var values = new double[series];
        clock.Restart();
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < series; i++)
            {
                values[i] = 10 + random.NextDouble();
            }

            fleet.Observe((history + s) * 300.0, values);
        }

        double streaming = (double)series * steps / clock.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(C, $"  observing: {streaming / 1e6:0.00} M series-steps/s ({clock.Elapsed.TotalMilliseconds / steps:0.0} ms per interval for every series, features included)"));
        clock.Restart();
        fleet.Forecast(12, [0.1, 0.5, 0.9]);
        output.WriteLine(string.Create(C, $"  forecasting 12 steps x 3 quantiles for every series: {clock.Elapsed.TotalMilliseconds:0} ms"));

        // A window model re-reads 288 steps per forecast: one forecast per series costs a 288-step replay.
        int replaySeries = Math.Min(series, 4096);
        var replay = new LstmStepper(network, replaySeries);
        var inputs = new float[replaySeries * LstmFeatures.InputSize];
        clock.Restart();
        for (int s = 0; s < 288; s++)
        {
            replay.Step(inputs, 0, replaySeries, threads);
        }

        double replayForecasts = replaySeries / clock.Elapsed.TotalSeconds;
        output.WriteLine(string.Create(C, $"  replaying a 288-step window per forecast: {replayForecasts / 1e3:0.0} k series-forecasts/s; streaming serves {streaming / replayForecasts:0}x as many"));
    }

    /// <summary>The planner's forecasting cost: every model over the same synthetic histories, as `FleetForecast` runs them.</summary>
    public static void Fleet(int series, int length, TextWriter output)
    {
        var random = new Random(3);
        var histories = Enumerable.Range(0, series).Select(i =>
        {
            double level = 10 + (90 * random.NextDouble());
            return new TimeSeries(
                $"s{i}", [.. Enumerable.Range(0, length).Select(t => t * 300.0)],
                [.. Enumerable.Range(0, length).Select(t => level * (1 + (0.3 * Math.Sin(2 * Math.PI * t / 288))) + (random.NextDouble() * level * 0.1))]);
        }).ToList();
        output.WriteLine(string.Create(C, $"planner forecasts: {series} series of {length} points (5-minute steps), 12 steps at the 0.9 quantile, {Environment.ProcessorCount} threads"));
        foreach (string model in new[] { "snaive", "lstm", "ets", "auto" })
        {
            var clock = Stopwatch.StartNew();
            var result = Shardcast.Models.Forecasting.FleetForecast.Forecast(histories, model, 12, 0.9, null, CancellationToken.None);
            output.WriteLine(string.Create(C, $"  {model,-6}: {clock.Elapsed.TotalSeconds,7:0.00} s ({clock.Elapsed.TotalMilliseconds * 1000 / series,8:0} us per series) served by {result.Served}"));
        }
    }
}
