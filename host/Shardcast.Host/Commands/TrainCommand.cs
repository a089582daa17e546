using System.CommandLine;
using System.Globalization;
using Shardcast.Models.Backtesting;
using Shardcast.Models.Neural;
using Shardcast.Models.Series;
using Spectre.Console;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast train`: trains the global LSTM on a data set and writes its model file, with checkpoints and resume.</summary>
public static class TrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var defaults = new LstmHyperParameters();
        var data = new Option<string[]>("--data", "-d") { Description = "Series files (CSV timestamp,value) or folders of them.", Required = true, AllowMultipleArgumentsPerToken = true };
        var outFile = new Option<FileInfo>("--out", "-o") { Description = "Where to write the trained model file.", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Most epochs to train (early stopping may end sooner).", DefaultValueFactory = _ => defaults.Epochs };
        var hidden = new Option<int>("--hidden") { Description = "LSTM hidden size.", DefaultValueFactory = _ => defaults.Hidden };
        var layers = new Option<int>("--layers") { Description = "Stacked LSTM layers.", DefaultValueFactory = _ => defaults.Layers };
        var window = new Option<int>("--window") { Description = "Steps per training window (backpropagation through time).", DefaultValueFactory = _ => defaults.Window };
        var batch = new Option<int>("--batch") { Description = "Windows per mini-batch.", DefaultValueFactory = _ => defaults.BatchSize };
        var rate = new Option<double>("--learning-rate") { Description = "Adam's learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed: the same seed and data give the same model.", DefaultValueFactory = _ => defaults.Seed };
        var resume = new Option<FileInfo?>("--resume") { Description = "Continue from a checkpoint (its hyper-parameters are kept; --epochs may raise the limit)." };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "Checkpoint written after every epoch (default: <out>.ckpt)." };
        var timeS = new Option<double?>("--time-s") { Description = "Stop after this many seconds, keeping the best weights." };
        var trainingPart = new Option<bool>("--training-part") { Description = "Train on each series' training part only (its first 70%, as the backtest protocol of docs/forecasting.md splits it), so the set can be backtested with the model." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: every core)." };
        var command = new Command("train", "Train the forecasting LSTM on a data set and write its model file.")
        {
            data, outFile, epochs, hidden, layers, window, batch, rate, seed, resume, checkpoint, timeS, trainingPart, threads,
        };
        command.SetAction(parse => CommandGuard.Run(
            error,
            () =>
            {
                var (readable, refused) = SeriesCsv.ReadReadable(parse.GetRequiredValue(data));
                foreach (var r in refused)
                {
                    error.WriteLine($"skipped: {r.Reason}");
                }

                var set = readable;
                if (parse.GetValue(trainingPart))
                {
                    set = [.. set.Select(s => s.Head(BacktestProtocol.TrainingLength(s.Length)))];
                }

                var hyper = defaults with
                {
                    Epochs = parse.GetValue(epochs),
                    Hidden = parse.GetValue(hidden),
                    Layers = parse.GetValue(layers),
                    Window = parse.GetValue(window),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(rate),
                    Seed = parse.GetValue(seed),
                };
                var resumeFile = parse.GetValue(resume);
                var resumed = resumeFile is null ? null : LstmModelFile.Read(resumeFile.FullName);
                if (resumed is not null)
                {
                    if (resumed.Training is null)
                    {
                        error.WriteLine($"error: {resumeFile!.FullName} is a model file without training state, not a checkpoint");
                        return ExitCodes.BadInput;
                    }

                    var kept = resumed.Network.Hyper with { Epochs = Math.Max(resumed.Network.Hyper.Epochs, parse.GetValue(epochs)) };
                    resumed = resumed with { Network = new LstmNetwork(kept, resumed.Network.Parameters) };
                    error.WriteLine($"resuming from {resumeFile!.FullName} at epoch {resumed.Training.Epoch} (its hyper-parameters are kept)");
                }

                try
                {
                    hyper.Validate();
                }
                catch (ArgumentException e)
                {
                    error.WriteLine($"error: {e.Message}");
                    return ExitCodes.BadInput;
                }

                string outPath = parse.GetRequiredValue(outFile).FullName;
                var options = new LstmTrainingOptions
                {
                    TimeBudget = parse.GetValue(timeS) is { } s ? TimeSpan.FromSeconds(s) : null,
                    Threads = parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount,
                    CheckpointPath = parse.GetValue(checkpoint)?.FullName ?? outPath + ".ckpt",
                    Resume = resumed,
                };
                var result = CommandGuard.Interruptible(token => TrainWithProgress(set, hyper, options, error, token));
                LstmModelFile.Write(outPath, new LstmModelContents(result.Network, result.Statistics, Describe(set, result), null));
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"trained {result.Epochs} epochs on {set.Count} series in {result.TrainingTime.TotalSeconds:0.0} s: {result.WindowsPerSecond:0} windows/s of {result.Network.Hyper.Window} steps ({result.WindowStepsPerSecond / 1e3:0} k window-steps/s); best validation loss {result.BestValidationLoss:0.0000}; stopped: {result.StopReason}"));
                output.WriteLine($"model written to {outPath}; checkpoint {options.CheckpointPath}");
                return ExitCodes.Ok;
            },
            ForecastCommandErrors.Describe));
        return command;
    }

    private static string Describe(IReadOnlyList<TimeSeries> set, LstmTrainingResult result) => string.Create(
        CultureInfo.InvariantCulture,
        $"shardcast train: {set.Count} series ({string.Join(", ", set.Take(MaxNamed).Select(s => s.Name))}{(set.Count > MaxNamed ? ", ..." : "")}), {result.Epochs} epochs, validation loss {result.BestValidationLoss:0.0000}");

    /// <summary>Series named in a model file's description: all of them up to this many, so that a backtest can tell when it scores a model on series it was trained on.</summary>
    private const int MaxNamed = 2_000;

    /// <summary>A live progress bar on a terminal; plain lines per epoch when standard error is redirected.</summary>
    private static LstmTrainingResult TrainWithProgress(IReadOnlyList<TimeSeries> set, LstmHyperParameters hyper, LstmTrainingOptions options, TextWriter error, CancellationToken token)
    {
        if (!ErrorConsole.IsLive(error))
        {
            return LstmTrainer.Train(set, hyper, options, new LineProgress(error), token);
        }

        LstmTrainingResult? result = null;
        var console = ErrorConsole.Create();
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("training", maxValue: (double)hyper.Epochs * hyper.BatchesPerEpoch);
                var progress = new BarProgress(task, error);
                result = LstmTrainer.Train(set, hyper, options, progress, token);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    private static string Line(LstmTrainingProgress p) => string.Create(
        CultureInfo.InvariantCulture,
        $"epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.BatchesPerEpoch} train {p.TrainLoss:0.0000}{(p.ValidationLoss is { } v ? $" validation {v:0.0000}" : "")} best {p.BestValidationLoss:0.0000} {p.WindowsPerSecond:0} windows/s eta {(p.Remaining is { } r ? $"{r.TotalSeconds:0}s" : "?")}");

    private sealed class LineProgress(TextWriter error) : IProgress<LstmTrainingProgress>
    {
        public void Report(LstmTrainingProgress value)
        {
            if (value.ValidationLoss is not null)
            {
                error.WriteLine(Line(value));
            }
        }
    }

    private sealed class BarProgress(ProgressTask task, TextWriter error) : IProgress<LstmTrainingProgress>
    {
        public void Report(LstmTrainingProgress value)
        {
            task.Value = ((value.Epoch - 1) * (double)value.BatchesPerEpoch) + value.Batch;
            task.Description = Markup.Escape(Line(value));
            if (value.ValidationLoss is not null)
            {
                error.Flush();
            }
        }
    }
}
