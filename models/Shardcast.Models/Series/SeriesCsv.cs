using System.Globalization;

namespace Shardcast.Models.Series;

/// <summary>A series file that cannot be read; the message names the file, the line and what was wrong.</summary>
public sealed class SeriesFormatException(string message) : Exception(message);

/// <summary>
/// Reads series files: CSV `timestamp,value` with a header row, timestamps as ISO-8601 date-times (taken as UTC)
/// or Unix seconds, in time order (repeated timestamps, as clock changes leave in real exports, are kept as rows). A folder is a data set: every *.csv inside it, recursively, in name order.
/// </summary>
public static class SeriesCsv
{
    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
    ];

    /// <summary>Expands folders and files into the series files of a data set, refusing paths that do not exist.</summary>
    public static IReadOnlyList<string> ExpandPaths(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var inFolder = Directory.GetFiles(path, "*.csv", SearchOption.AllDirectories);
                Array.Sort(inFolder, StringComparer.Ordinal);
                if (inFolder.Length == 0)
                {
                    throw new SeriesFormatException($"{path}: the folder holds no .csv series");
                }

                files.AddRange(inFolder);
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new SeriesFormatException($"{path}: no such file or folder");
            }
        }

        var duplicate = files.GroupBy(NameOf).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new SeriesFormatException($"two series share the name '{duplicate.Key}': {string.Join(", ", duplicate)}");
        }

        return files;
    }

    public static IReadOnlyList<TimeSeries> ReadAll(IEnumerable<string> paths) => [.. ExpandPaths(paths).Select(Read)];

    /// <summary>
    /// Every series of a data set that reads, and each file that does not with its reason: one bad file (a row out of
    /// time order, say) does not cost the others. Paths that do not exist are still refused outright, and so is a set
    /// where nothing reads.
    /// </summary>
    public static SeriesSet ReadReadable(IEnumerable<string> paths)
    {
        var series = new List<TimeSeries>();
        var refused = new List<RefusedSeries>();
        foreach (string path in ExpandPaths(paths))
        {
            try
            {
                series.Add(Read(path));
            }
            catch (SeriesFormatException e)
            {
                refused.Add(new RefusedSeries(path, e.Message));
            }
        }

        return series.Count > 0 ? new SeriesSet(series, refused) : throw new SeriesFormatException(refused.Count == 1 ? refused[0].Reason : $"no series could be read: {string.Join("; ", refused.Select(r => r.Reason))}");
    }

    /// <summary>The series' name: its file name without folder and extension.</summary>
    public static string NameOf(string path) => Path.GetFileNameWithoutExtension(path);

    public static TimeSeries Read(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, NameOf(path), path);
    }

    public static TimeSeries Read(TextReader reader, string name, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var timestamps = new List<double>();
        var values = new List<double>();
        int lineNumber = 0;
        bool headerSeen = false;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            int comma = line.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || line.IndexOf(',', comma + 1) >= 0)
            {
                throw new SeriesFormatException($"{source}:{lineNumber}: expected two fields 'timestamp,value', found '{Shorten(line)}'");
            }

            var first = line.AsSpan(0, comma).Trim();
            var second = line.AsSpan(comma + 1).Trim();
            if (!headerSeen)
            {
                headerSeen = true;
                if (first.Equals("timestamp", StringComparison.OrdinalIgnoreCase) && second.Equals("value", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                throw new SeriesFormatException($"{source}:{lineNumber}: expected the header 'timestamp,value', found '{Shorten(line)}'");
            }

            double t = ParseTimestamp(first) ?? throw new SeriesFormatException($"{source}:{lineNumber}: timestamp '{first}' is neither a date-time nor Unix seconds within the years 1 to 9999");
            if (!double.TryParse(second, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                throw new SeriesFormatException($"{source}:{lineNumber}: value '{second}' is not a finite number");
            }

            if (timestamps.Count > 0 && t < timestamps[^1])
            {
                throw new SeriesFormatException($"{source}:{lineNumber}: timestamp '{first}' is before the previous row's (rows must be in time order)");
            }

            timestamps.Add(t);
            values.Add(v);
        }

        if (values.Count == 0)
        {
            throw new SeriesFormatException($"{source}: no data rows");
        }

        return new TimeSeries(name, [.. timestamps], [.. values]);
    }

    /// <summary>Writes a series as CSV with ISO-8601 UTC timestamps.</summary>
    public static void Write(TimeSeries series, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine("timestamp,value");
        for (int i = 0; i < series.Length; i++)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{FormatTimestamp(series.Timestamps[i])},{series.Values[i]:R}"));
        }
    }

    /// <summary>
    /// ISO-8601 UTC, or the Unix seconds themselves where the time lies outside the calendar's years 1 to 9999: no
    /// series read has such a time (<see cref="Read(string)"/> refuses it), but a forecast's steps can pass the end.
    /// </summary>
    public static string FormatTimestamp(double unixSeconds) =>
        unixSeconds is >= EarliestSeconds and <= LatestSeconds
            ? DateTime.UnixEpoch.AddSeconds(unixSeconds).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : unixSeconds.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>0001-01-01 and 9999-12-31 23:59:59 in Unix seconds: the range a timestamp is read in.</summary>
    private const double EarliestSeconds = -62_135_596_800, LatestSeconds = 253_402_300_799;

    /// <summary>A date-time (read as UTC) or Unix seconds, as a series row's timestamp is read; null where it is neither.</summary>
    public static double? ParseTimestamp(ReadOnlySpan<char> text)
    {
        if (DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when))
        {
            return (when - DateTime.UnixEpoch).TotalSeconds;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds is >= EarliestSeconds and <= LatestSeconds ? seconds : null;
    }

    private static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "...";
}
