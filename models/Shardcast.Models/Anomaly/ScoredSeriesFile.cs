using System.Globalization;
using System.Text;
using Shardcast.Models.Series;

namespace Shardcast.Models.Anomaly;

/// <summary>What one series file came to: its rows, its alarms and the first alarm's timestamp.</summary>
public sealed record ScoredSeriesSummary(string Input, string Output, int Rows, int Alarms, int MajorAlarms, string? FirstAlarm);

/// <summary>
/// Scores a series file row by row, causally, and writes NAB's result layout: `timestamp,value,anomaly_score`,
/// one row per input row, the timestamp and value copied as written. The input is CSV with a `timestamp,value`
/// header; timestamps are not parsed (any text without a comma), values must be finite numbers.
/// </summary>
public static class ScoredSeriesFile
{
    public static ScoredSeriesSummary Score(string input, string output, DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var lines = File.ReadAllLines(input);
        if (lines.Length == 0 || !IsHeader(lines[0]))
        {
            throw new SeriesFormatException($"{input}:1: expected the header 'timestamp,value', found '{(lines.Length == 0 ? "" : lines[0])}'");
        }

        var detector = new ContextNoveltyDetector(options);
        var text = new StringBuilder("timestamp,value,anomaly_score\n", lines.Length * 40);
        int rows = 0, alarms = 0, major = 0;
        string? first = null;
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 && i == lines.Length - 1)
            {
                break;
            }

            int comma = line.IndexOf(',', StringComparison.Ordinal);
            string valueText = comma < 0 ? "" : line[(comma + 1)..].Trim();
            if (comma <= 0 || !double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            {
                throw new SeriesFormatException($"{input}:{i + 1}: expected 'timestamp,value' with a finite number, found '{line}'");
            }

            var verdict = detector.Observe(value);
            rows++;
            if (verdict.Alarm)
            {
                alarms++;
                major += verdict.Severity == AnomalySeverity.Major ? 1 : 0;
                first ??= line[..comma];
            }

            text.Append(line.AsSpan(0, comma)).Append(',').Append(valueText).Append(',')
                .Append(verdict.Score.ToString("0.######", CultureInfo.InvariantCulture)).Append('\n');
        }

        string? folder = Path.GetDirectoryName(output);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        File.WriteAllText(output, text.ToString());
        return new ScoredSeriesSummary(input, output, rows, alarms, major, first);
    }

    private static bool IsHeader(string line)
    {
        var cells = line.Split(',', StringSplitOptions.TrimEntries);
        return cells.Length >= 2 && cells[0].Equals("timestamp", StringComparison.OrdinalIgnoreCase) && cells[1].Equals("value", StringComparison.OrdinalIgnoreCase);
    }
}
