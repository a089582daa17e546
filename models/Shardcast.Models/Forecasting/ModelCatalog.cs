namespace Shardcast.Models.Forecasting;

/// <summary>A model name that no model answers to.</summary>
public sealed class UnknownModelException(string message) : Exception(message);

/// <summary>Parses lists of model names as the command line and the protocol give them.</summary>
public static class ModelNames
{
    public const string SeasonalNaive = "snaive";
    public const string Ets = "ets";
    public const string Lstm = "lstm";
    public const string Auto = "auto";

    public static IReadOnlyList<string> Known { get; } = [SeasonalNaive, Ets, Lstm, Auto];

    /// <summary>Comma-separated names, each known, none twice; the result keeps their order.</summary>
    public static IReadOnlyList<string> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new UnknownModelException("no model named");
        }

        foreach (string name in names)
        {
            if (!Known.Contains(name))
            {
                throw new UnknownModelException($"unknown model '{name}' (known: {string.Join(", ", Known)})");
            }
        }

        var twice = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? names : throw new UnknownModelException($"model '{twice.Key}' named twice");
    }
}
