namespace Shardcast.Models.Events;

/// <summary>
/// An event known ahead (a launch, a sale, a batch job): a tag naming its kind, the window it covers, [start, end)
/// in the series' clock (Unix seconds), and optionally the multiplier the operator expects on the load. Events with
/// the same tag are taken to have the same effect, so one without a multiplier takes the effect measured on the
/// tag's earlier occurrences in the history.
/// </summary>
public sealed record KnownEvent(string Tag, double Start, double End, double? Multiplier = null)
{
    /// <summary>Multipliers are kept within these bounds: a measured ratio of 0 (no load at all) cannot be divided out.</summary>
    public const double MinMultiplier = 0.01, MaxMultiplier = 100;

    public bool Covers(double time) => time >= Start && time < End;

    /// <summary>Why this event cannot be used, or null where it can.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Tag))
        {
            return "an event needs a non-empty tag";
        }

        if (!double.IsFinite(Start) || !double.IsFinite(End))
        {
            return $"event '{Tag}': start and end must be finite times";
        }

        if (!(End > Start))
        {
            return $"event '{Tag}': end ({End}) must be after start ({Start})";
        }

        if (Multiplier is { } m && !(m >= MinMultiplier && m <= MaxMultiplier))
        {
            return $"event '{Tag}': multiplier must lie between {MinMultiplier} and {MaxMultiplier}, found {m}";
        }

        return null;
    }
}

/// <summary>How one tag changed a forecast: its multiplier and where it came from.</summary>
/// <param name="Source">"given" (the event's own multiplier), "learned" (the median over <paramref name="Occurrences"/> earlier
/// occurrences in the history) or "unknown" (neither: the forecast inside its windows is left as the model made it).</param>
public sealed record EventEffect(string Tag, double Multiplier, string Source, int Occurrences);

/// <summary>Many series' effects in one line, per tag: the median multiplier, where they came from, and over how many series.</summary>
public static class EventEffects
{
    public static string Summarise(IEnumerable<IReadOnlyList<EventEffect>?> perSeries)
    {
        ArgumentNullException.ThrowIfNull(perSeries);
        var parts = perSeries.Where(e => e is not null).SelectMany(e => e!).GroupBy(e => e.Tag, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var multipliers = g.Select(e => e.Multiplier).Order().ToArray();
            double median = multipliers[multipliers.Length / 2];
            string sources = string.Join("/", g.Select(e => e.Source).Distinct().Order(StringComparer.Ordinal));
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{g.Key} x{median:0.##} {sources} on {multipliers.Length} series");
        });
        return string.Join(", ", parts);
    }
}
