using System.Text.Json;
using Shardcast.Models.Events;
using Shardcast.Models.Series;

namespace Shardcast.Host.Commands;

/// <summary>
/// The known-events file of `forecast --events` and `backtest --events` (docs/forecasting.md, "Known events"): a JSON
/// array of {tag, start, end, multiplier?, series?}, times as Unix seconds or date-times as a series file writes
/// them, series by name (a CSV file's name without .csv); an event without series covers every series.
/// </summary>
public sealed record ScopedEvent(KnownEvent Event, IReadOnlySet<string>? Series)
{
    public bool Covers(string series) => Series is null || Series.Contains(series);
}

public static class EventsFile
{
    public static IReadOnlyList<ScopedEvent> Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SeriesFormatException($"{path}: cannot read the events file: {e.Message}");
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return Parse(document.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new SeriesFormatException($"{path}: not JSON: {e.Message}");
        }
    }

    private static List<ScopedEvent> Parse(JsonElement root, string file)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new SeriesFormatException($"{file}: $: expected an array of events, found {root.ValueKind.ToString().ToLowerInvariant()}");
        }

        var events = new List<ScopedEvent>();
        int i = 0;
        foreach (var item in root.EnumerateArray())
        {
            string at = $"{file}: $[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new SeriesFormatException($"{at}: expected an object {{tag, start, end, multiplier?, series?}}");
            }

            foreach (var property in item.EnumerateObject())
            {
                if (property.Name is not ("tag" or "start" or "end" or "multiplier" or "series"))
                {
                    throw new SeriesFormatException($"{at}.{property.Name}: unknown field (known: tag, start, end, multiplier, series)");
                }
            }

            string tag = item.TryGetProperty("tag", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new SeriesFormatException($"{at}.tag: required, a string");
            double start = Time(item, "start", at), end = Time(item, "end", at);
            double? multiplier = null;
            if (item.TryGetProperty("multiplier", out var m))
            {
                multiplier = m.ValueKind == JsonValueKind.Number ? m.GetDouble() : throw new SeriesFormatException($"{at}.multiplier: expected a number");
            }

            var known = new KnownEvent(tag, start, end, multiplier);
            if (known.Problem() is { } problem)
            {
                throw new SeriesFormatException($"{at}: {problem}");
            }

            HashSet<string>? series = null;
            if (item.TryGetProperty("series", out var s))
            {
                if (s.ValueKind != JsonValueKind.Array || s.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                {
                    throw new SeriesFormatException($"{at}.series: expected an array of series names");
                }

                series = s.EnumerateArray().Select(x => x.GetString()!).ToHashSet(StringComparer.Ordinal);
            }

            events.Add(new ScopedEvent(known, series));
        }

        return events;
    }

    private static double Time(JsonElement item, string key, string at)
    {
        if (!item.TryGetProperty(key, out var value))
        {
            throw new SeriesFormatException($"{at}.{key}: required, Unix seconds or a date-time");
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number => value.GetDouble(),
            JsonValueKind.String when SeriesCsv.ParseTimestamp(value.GetString()) is { } seconds => seconds,
            _ => throw new SeriesFormatException($"{at}.{key}: '{value}' is neither Unix seconds nor a date-time (yyyy-MM-dd HH:mm:ss)"),
        };
    }

    /// <summary>Each series' events (null where none covers it), and the names events list that no series has.</summary>
    public static (IReadOnlyList<KnownEvent>?[] PerSeries, IReadOnlyList<string> Unmatched) For(IReadOnlyList<ScopedEvent> events, IReadOnlyList<TimeSeries> set)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(set);
        var perSeries = set.Select(s => events.Where(e => e.Covers(s.Name)).Select(e => e.Event).ToList() is { Count: > 0 } list ? list : null).ToArray<IReadOnlyList<KnownEvent>?>();
        var names = set.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var unmatched = events.Where(e => e.Series is not null).SelectMany(e => e.Series!).Where(n => !names.Contains(n)).Distinct().Order(StringComparer.Ordinal).ToList();
        return (perSeries, unmatched);
    }
}
