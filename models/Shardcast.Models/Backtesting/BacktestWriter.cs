using System.Globalization;
using System.Text.Json;
using Shardcast.Models.Series;

namespace Shardcast.Models.Backtesting;

/// <summary>Writes a backtest report: tables for people, JSON for programs, forecast files for other scorers.</summary>
public static class BacktestWriter
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void WriteTables(BacktestReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine($"{"series",-44} {"model",-7} {"origins",7} {"MASE",8} {"sQL",8} {"cover",6}");
        foreach (var s in report.Scores.OrderBy(s => s.Series, StringComparer.Ordinal).ThenBy(s => s.Model, StringComparer.Ordinal))
        {
            writer.WriteLine(s.IsSkipped
                ? $"{s.Series,-44} {s.Model,-7} skipped: {s.Skipped}"
                : string.Create(Invariant, $"{s.Series,-44} {s.Model,-7} {s.Origins,7} {s.Mase,8:0.000} {s.ScaledQuantileLoss,8:0.000} {s.Coverage,6:P0}"));
        }

        writer.WriteLine();
        writer.WriteLine("aggregate (geometric mean of ratios to seasonal naive; mean coverage, 80% nominal)");
        writer.WriteLine($"{"model",-7} {"series",6} {"MASE ratio",11} {"sQL ratio",10} {"coverage",9}");
        foreach (var a in report.Aggregates)
        {
            writer.WriteLine(string.Create(Invariant, $"{a.Model,-7} {a.Series,6} {a.MaseRatio,11:0.000} {a.ScaledQuantileLossRatio,10:0.000} {a.Coverage,9:P1}"));
        }
    }

    /// <param name="refused">Files of the data set that could not be read, listed under `refused` with their reasons.</param>
    public static void WriteJson(BacktestReport report, Stream stream, IReadOnlyList<RefusedSeries>? refused = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("series");
        foreach (var s in report.Scores)
        {
            json.WriteStartObject();
            json.WriteString("series", s.Series);
            json.WriteString("model", s.Model);
            if (s.IsSkipped)
            {
                json.WriteString("skipped", s.Skipped);
            }
            else
            {
                json.WriteNumber("origins", s.Origins);
                json.WriteNumber("scale", s.Scale);
                json.WriteNumber("mase", s.Mase);
                json.WriteNumber("sql", s.ScaledQuantileLoss);
                json.WriteNumber("coverage", s.Coverage);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("aggregate");
        foreach (var a in report.Aggregates)
        {
            json.WriteStartObject();
            json.WriteString("model", a.Model);
            json.WriteNumber("series", a.Series);
            json.WriteNumber("mase_ratio", a.MaseRatio);
            json.WriteNumber("sql_ratio", a.ScaledQuantileLossRatio);
            json.WriteNumber("coverage", a.Coverage);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("refused");
        foreach (var r in refused ?? [])
        {
            json.WriteStartObject();
            json.WriteString("file", r.Path);
            json.WriteString("reason", r.Reason);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>One file per model, folder/&lt;model&gt;.csv, in the backtest protocol's forecast format (docs/forecasting.md).</summary>
    public static void WriteForecastFiles(BacktestReport report, string folder)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(folder);
        var quantiles = BacktestProtocol.Quantiles;
        foreach (var (model, bySeries) in report.Forecasts)
        {
            using var writer = new StreamWriter(Path.Combine(folder, model + ".csv"));
            writer.WriteLine("series,origin,step,quantile,value");
            foreach (var (series, origins) in bySeries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                foreach (var f in origins)
                {
                    for (int h = 0; h < f.Values[0].Length; h++)
                    {
                        for (int q = 0; q < quantiles.Count; q++)
                        {
                            writer.WriteLine(string.Create(Invariant, $"{series},{f.Origin},{h + 1},{quantiles[q]},{f.Values[q][h]:R}"));
                        }
                    }
                }
            }
        }
    }
}
