using System.CommandLine;
using System.Diagnostics;
using Shardcast.Models.Backtesting;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast backtest`: scores models on a data set by the backtest protocol (docs/forecasting.md).</summary>
public static class BacktestCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var data = new Option<string[]>("--data", "-d") { Description = "Series files (CSV timestamp,value) or folders of them.", Required = true, AllowMultipleArgumentsPerToken = true };
        var models = new Option<string>("--models") { Description = "Comma-separated: snaive, ets, lstm, auto.", DefaultValueFactory = _ => "snaive,ets,lstm,auto" };
        var modelFile = new Option<FileInfo?>("--model-file") { Description = "A trained LSTM model file; without it the LSTM is trained on the set's training parts first." };
        var emit = new Option<DirectoryInfo?>("--emit-forecasts") { Description = "Write each model's forecasts to DIR/<model>.csv (the backtest protocol's forecast format, docs/forecasting.md)." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of tables." };
        var trainTime = new Option<double>("--train-time-s") { Description = "Time budget for training the LSTM when no model file is given.", DefaultValueFactory = _ => LstmDefaults.BacktestTrainingSeconds };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Seed for LSTM training.", DefaultValueFactory = _ => 1 };
        var command = new Command("backtest", "Score forecasting models on a data set (the backtest protocol of docs/forecasting.md): per-series and aggregate MASE, sQL and coverage.")
        {
            data, models, modelFile, emit, json, trainTime, seed,
        };
        command.SetAction(parse => CommandGuard.Run(
            error,
            () =>
            {
                var names = ModelNames.ParseList(parse.GetValue(models)!);
                var (set, refused) = SeriesCsv.ReadReadable(parse.GetRequiredValue(data));
                foreach (var r in refused)
                {
                    error.WriteLine($"skipped: {r.Reason}");
                }

                var factory = new ModelFactory(parse.GetValue(modelFile)?.FullName, parse.GetValue(trainTime), parse.GetValue(seed));
                var clock = Stopwatch.StartNew();
                var report = CommandGuard.Interruptible(token => Backtester.Run(set, [.. names.Select(factory.Create)], parse.GetValue(emit) is not null, new SynchronousProgress(error, clock), token));
                if (parse.GetValue(emit) is { } folder)
                {
                    BacktestWriter.WriteForecastFiles(report, folder.FullName);
                }

                if (parse.GetValue(json))
                {
                    using var stdout = new MemoryStream();
                    BacktestWriter.WriteJson(report, stdout, refused);
                    output.WriteLine(System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
                }
                else
                {
                    BacktestWriter.WriteTables(report, output);
                }

                return ExitCodes.Ok;
            },
            ForecastCommandErrors.Describe));
        return command;
    }
}

/// <summary>Progress lines on standard error, written at once (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
internal sealed class SynchronousProgress(TextWriter error, Stopwatch clock) : IProgress<string>
{
    public void Report(string value) =>
        error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"[{clock.Elapsed.TotalSeconds,6:0.0}s] {value}"));
}

/// <summary>The bad-input failures of the forecasting commands, with their messages.</summary>
internal static class ForecastCommandErrors
{
    public static string? Describe(Exception e) => e switch
    {
        SeriesFormatException or UnknownModelException or Models.Neural.ModelFileException => e.Message,
        _ => null,
    };
}
