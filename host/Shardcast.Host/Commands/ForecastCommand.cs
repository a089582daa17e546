using System.CommandLine;
using System.Globalization;
using Shardcast.Models.Classical;
using Shardcast.Models.Events;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Series;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast forecast`: a one-off forecast of one series, as CSV.</summary>
public static class ForecastCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var input = new Option<FileInfo>("--input", "-i") { Description = "The series (CSV timestamp,value).", Required = true };
        var horizon = new Option<int>("--horizon") { Description = "Steps to forecast.", DefaultValueFactory = _ => 12 };
        var quantiles = new Option<string>("--quantiles", "-q") { Description = "Comma-separated quantile levels.", DefaultValueFactory = _ => "0.1,0.5,0.9" };
        var model = new Option<string>("--model") { Description = "snaive, ets, lstm or auto (the planner's forecast).", DefaultValueFactory = _ => ModelNames.Auto };
        var modelFile = new Option<FileInfo?>("--model-file") { Description = "A trained LSTM model file (default: the model shipped with Shardcast)." };
        var events = new Option<FileInfo?>("--events") { Description = "Known events (JSON: [{tag, start, end, multiplier?, series?}], docs/forecasting.md \"Known events\")." };
        model.AcceptOnlyFromAmong([.. ModelNames.Known]);
        var command = new Command("forecast", "Forecast one series: steps 1..H after its last point at the given quantiles, as CSV (step,timestamp,q...).")
        {
            input, horizon, quantiles, model, modelFile, events,
        };
        command.SetAction(parse => CommandGuard.Run(
            error,
            () =>
            {
                var levels = ParseQuantiles(parse.GetValue(quantiles)!);
                int steps = parse.GetValue(horizon);
                if (steps < 1)
                {
                    throw new UnknownModelException($"--horizon must be at least 1, found {steps}");
                }

                var series = SeriesCsv.Read(parse.GetRequiredValue(input).FullName);
                if (series.Length < 2)
                {
                    throw new SeriesFormatException($"{parse.GetRequiredValue(input).FullName}: a forecast needs at least two points (one step)");
                }

                var (forecaster, note) = new ModelFactory(parse.GetValue(modelFile)?.FullName, 0, 1, useDefaultModel: true).CreateFor(parse.GetValue(model)!, steps, levels);
                if (note is not null)
                {
                    error.WriteLine($"note: {note}");
                }

                forecaster.Fit([series], null, CancellationToken.None);
                double[][] values;
                try
                {
                    IReadOnlyList<KnownEvent>? known = null;
                    if (parse.GetValue(events) is { } eventsFile)
                    {
                        var (perSeries, unmatched) = EventsFile.For(EventsFile.Read(eventsFile.FullName), [series]);
                        known = perSeries[0];
                        if (unmatched.Count > 0)
                        {
                            error.WriteLine($"note: events for other series left out: {string.Join(", ", unmatched)}");
                        }
                    }

                    var (opened, fellBack, calendar) = KnownEvents.Open(forecaster, series, known);
                    if (fellBack)
                    {
                        error.WriteLine($"note: {series.Length} points are too few for {forecaster.Name} (it needs {Ets.MinimumObservations}, as ETS does); seasonal naive forecast them");
                    }

                    values = opened.Forecast(steps, levels);
                    foreach (var effect in calendar?.EffectsAhead(steps) ?? [])
                    {
                        error.WriteLine(effect.Source switch
                        {
                            "given" => string.Create(CultureInfo.InvariantCulture, $"note: event '{effect.Tag}' ahead: x{effect.Multiplier:0.###} as given"),
                            "learned" => string.Create(CultureInfo.InvariantCulture, $"note: event '{effect.Tag}' ahead: x{effect.Multiplier:0.###}, the median of its {effect.Occurrences} earlier occurrences"),
                            _ => $"note: event '{effect.Tag}' ahead has no multiplier and no earlier occurrence in the history: its steps are forecast as any other",
                        });
                    }
                }
                catch (ArgumentOutOfRangeException e)
                {
                    error.WriteLine($"error: {forecaster.Name}: {e.Message.Split(" (Parameter")[0]}");
                    return ExitCodes.BadInput;
                }

                double step = series.StepSeconds();
                var c = CultureInfo.InvariantCulture;
                output.WriteLine("step,timestamp," + string.Join(',', levels.Select(q => string.Create(c, $"q{q}"))));
                for (int h = 0; h < steps; h++)
                {
                    string time = SeriesCsv.FormatTimestamp(series.Timestamps[^1] + ((h + 1) * step));
                    output.WriteLine(string.Create(c, $"{h + 1},{time},") + string.Join(',', values.Select(v => v[h].ToString("R", c))));
                }

                return ExitCodes.Ok;
            },
            ForecastCommandErrors.Describe));
        return command;
    }

    private static double[] ParseQuantiles(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var levels = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out levels[i]) || !(levels[i] > 0 && levels[i] < 1))
            {
                throw new UnknownModelException($"--quantiles: '{parts[i]}' is not a level strictly between 0 and 1");
            }
        }

        return levels.Length > 0 ? levels : throw new UnknownModelException("--quantiles: no level given");
    }
}
