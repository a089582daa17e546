using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Shardcast.Models.Anomaly;
using Shardcast.Models.Series;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast detect`: scores every series under a folder for anomalies, causally, and writes NAB's result layout
/// (`OUT/category/NAME_file.csv` for `DATA/category/file.csv`), so that NAB's own scorer can judge it.
/// </summary>
public static class DetectCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var defaults = new DetectorOptions();
        var data = new Option<DirectoryInfo>("--data") { Description = "A folder of series (CSV timestamp,value), searched recursively; NAB's layout is category folders of files.", Required = true };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Where the scored files go, in the same folder layout.", Required = true };
        var name = new Option<string>("--detector") { Description = "The detector's name, the prefix of every result file (NAME_file.csv).", DefaultValueFactory = _ => "shardcast" };
        var context = new Option<int>("--context") { Description = "Points in a context, the pattern whose novelty is measured.", DefaultValueFactory = _ => defaults.ContextLength };
        var cap = new Option<double>("--novelty-cap") { Description = "The most a context's novelty may be, in ranges of the values before it.", DefaultValueFactory = _ => defaults.NoveltyCap };
        var shortWindow = new Option<int>("--short-window") { Description = "Observations averaged into the recent evidence.", DefaultValueFactory = _ => defaults.ShortWindow };
        var longWindow = new Option<int>("--long-window") { Description = "Observations that make up what is ordinary.", DefaultValueFactory = _ => defaults.LongWindow };
        var alarmZ = new Option<double>("--alarm-z") { Description = "Standard deviations above ordinary at which an alarm is raised.", DefaultValueFactory = _ => defaults.AlarmZ };
        var holdOff = new Option<int>("--hold-off") { Description = "Observations after an alarm with no new alarm.", DefaultValueFactory = _ => defaults.HoldOff };
        var history = new Option<int>("--max-history") { Description = "Earlier contexts kept to compare against.", DefaultValueFactory = _ => defaults.MaxHistory };
        var command = new Command("detect", "Score every series under a folder for anomalies, causally (a row's score uses only rows up to it), in NAB's result layout.")
        {
            data, outDir, name, context, cap, shortWindow, longWindow, alarmZ, holdOff, history,
        };
        command.SetAction(parse => CommandGuard.Run(
            error,
            () =>
            {
                string detector = parse.GetValue(name)!;
                if (detector.Length == 0 || detector.IndexOfAny([.. Path.GetInvalidFileNameChars(), '_']) >= 0)
                {
                    throw new ArgumentException($"--detector: '{detector}' must be a non-empty file-name part without '_' (NAB splits result names at the first '_')");
                }

                var options = new DetectorOptions
                {
                    ContextLength = parse.GetValue(context),
                    NoveltyCap = parse.GetValue(cap),
                    ShortWindow = parse.GetValue(shortWindow),
                    LongWindow = parse.GetValue(longWindow),
                    AlarmZ = parse.GetValue(alarmZ),
                    HoldOff = parse.GetValue(holdOff),
                    MaxHistory = parse.GetValue(history),
                };
                if (CommandGuard.ValidationProblem(options.Validate) is { } problem)
                {
                    throw new ArgumentException(OptionNamed(problem));
                }

                string root = parse.GetRequiredValue(data).FullName;
                string outRoot = parse.GetRequiredValue(outDir).FullName;
                var files = SeriesCsv.ExpandPaths([root]);
                return ScoreAll(files, root, outRoot, detector, options, output, error);
            },
            e => e is SeriesFormatException or ArgumentException ? e.Message : null));
        return command;
    }

    private static int ScoreAll(IReadOnlyList<string> files, string root, string outRoot, string detector, DetectorOptions options, TextWriter output, TextWriter error)
    {
        var clock = Stopwatch.StartNew();
        var results = new ScoredSeriesSummary?[files.Count];
        var refusals = new string?[files.Count];
        int done = 0;
        Parallel.For(0, files.Count, i =>
        {
            string relative = Path.GetRelativePath(root, files[i]);
            string target = Path.Combine(outRoot, Path.GetDirectoryName(relative) ?? "", $"{detector}_{Path.GetFileName(relative)}");
            try
            {
                results[i] = ScoredSeriesFile.Score(files[i], target, options);
            }
            catch (SeriesFormatException e)
            {
                refusals[i] = e.Message;
            }

            int finished = Interlocked.Increment(ref done);
            lock (error)
            {
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{finished}/{files.Count}] {relative}"));
            }
        });

        var c = CultureInfo.InvariantCulture;
        output.WriteLine("file,rows,alarms,major,first_alarm");
        foreach (var r in results.OfType<ScoredSeriesSummary>())
        {
            output.WriteLine(string.Create(c, $"{Path.GetRelativePath(root, r.Input)},{r.Rows},{r.Alarms},{r.MajorAlarms},{r.FirstAlarm ?? ""}"));
        }

        var scored = results.OfType<ScoredSeriesSummary>().ToList();
        error.WriteLine(string.Create(c, $"scored {scored.Count} files ({scored.Sum(r => r.Rows):N0} rows, {scored.Sum(r => r.Alarms)} alarms) in {clock.Elapsed.TotalSeconds:F1} s; results in {outRoot}"));
        foreach (string refusal in refusals.OfType<string>())
        {
            error.WriteLine($"error: {refusal}");
        }

        return refusals.Any(r => r is not null) ? ExitCodes.BadInput : ExitCodes.Ok;
    }

    /// <summary>Names the command-line option behind a detector setting's refusal.</summary>
    private static string OptionNamed(string problem) => problem switch
    {
        _ when problem.StartsWith("the context", StringComparison.Ordinal) => $"--context: {problem}",
        _ when problem.StartsWith("the novelty cap", StringComparison.Ordinal) => $"--novelty-cap: {problem}",
        _ when problem.StartsWith("the short", StringComparison.Ordinal) => $"--short-window: {problem}",
        _ when problem.StartsWith("the long", StringComparison.Ordinal) => $"--long-window: {problem}",
        _ when problem.StartsWith("the history", StringComparison.Ordinal) => $"--max-history: {problem}",
        _ when problem.StartsWith("the alarm", StringComparison.Ordinal) => $"--alarm-z: {problem}",
        _ when problem.StartsWith("the hold-off", StringComparison.Ordinal) => $"--hold-off: {problem}",
        _ => problem,
    };
}
