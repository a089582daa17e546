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
        var shipped = new Option<bool>("--shipped-model") { Description = "Score the LSTM that ships inside (trained on data/nab's training parts) instead of training one on this set first." };
        var events = new Option<FileInfo?>("--events") { Description = "Known events (JSON, docs/forecasting.md \"Known events\"): every model is scored with them taken into account." };
        var command = new Command("backtest", "Score forecasting models on a data set (the backtest protocol of docs/forecasting.md): per-series and aggregate MASE, sQL and coverage.")
        {
            data, models, modelFile, emit, json, trainTime, seed, shipped, events,
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

                string? file = parse.GetValue(modelFile)?.FullName;
                if (file is not null && parse.GetValue(shipped))
                {
                    error.WriteLine("error: --model-file and --shipped-model name two models; give one");
                    return ExitCodes.BadInput;
                }

                if (names.Any(n => n is ModelNames.Lstm or ModelNames.Auto))
                {
                    foreach (string line in LstmSource.Describe(file, parse.GetValue(shipped), parse.GetValue(trainTime), set))
                    {
                        error.WriteLine(line);
                    }
                }

                IReadOnlyList<Models.Events.KnownEvent>?[]? known = null;
                if (parse.GetValue(events) is { } eventsFile)
                {
                    (known, var unmatched) = EventsFile.For(EventsFile.Read(eventsFile.FullName), set);
                    error.WriteLine($"events: {known.Count(k => k is not null)} of {set.Count} series have known events");
                    if (unmatched.Count > 0)
                    {
                        error.WriteLine($"warning: events name series not in the set: {string.Join(", ", unmatched)}");
                    }
                }

                var factory = new ModelFactory(file, parse.GetValue(trainTime), parse.GetValue(seed), useDefaultModel: parse.GetValue(shipped));
                var clock = Stopwatch.StartNew();
                var report = CommandGuard.Interruptible(token => Backtester.Run(set, [.. names.Select(factory.Create)], parse.GetValue(emit) is not null, new SynchronousProgress(error, clock), token, known));
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

/// <summary>Says which LSTM a backtest scores, how to score another, and when the model has seen the series it is scored on.</summary>
internal static class LstmSource
{
    public static IEnumerable<string> Describe(string? modelFile, bool shipped, double trainSeconds, IReadOnlyList<TimeSeries> set)
    {
        if (modelFile is null && !shipped)
        {
            yield return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"lstm: trained here on the set's training parts first (up to {trainSeconds:0} s, --train-time-s); --shipped-model scores the model that ships inside, --model-file F one of yours");
            yield break;
        }

        var description = shipped ? Shardcast.Models.Neural.LstmDefaultModel.Get().Description : Shardcast.Models.Neural.LstmModelFile.Read(modelFile!).Description;
        yield return $"lstm: {(shipped ? "the model shipped inside" : modelFile)}, not trained here ({(description.Length > 0 ? description : "no description")})";
        var seen = set.Where(s => s.Name.Length > 0 && description.Contains(s.Name, StringComparison.Ordinal)).Select(s => s.Name).ToList();
        if (seen.Count > 0)
        {
            // A description that ends its list with "..." names only the first of the series trained on.
            string some = description.Contains(", ...)", StringComparison.Ordinal) ? "at least " : "";
            yield return $"warning: the model was trained on {some}{seen.Count} of these {set.Count} series ({string.Join(", ", seen.Take(5))}{(seen.Count > 5 ? ", ..." : "")}): their scores are in-sample, not a measure of how it forecasts series it has not seen";
        }
        else if (shipped)
        {
            yield return "note: the shipped model was trained on data/nab's training parts: scores on those series are in-sample";
        }
    }
}