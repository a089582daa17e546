using System.Globalization;

namespace Shardcast.Host.Commands;

/// <summary>The byte budgets of `plan --curve`: `auto`, or a comma list of sizes (`500GB`, `2.5TB`, `1e12`) or shares of all the cluster's data (`5%`).</summary>
public static class CurveBudgets
{
    private static readonly (string Suffix, double Scale)[] Units = [("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1)];

    /// <summary>The budgets in bytes; null for `auto` (the planner's own: shares of what the unbudgeted plan moves).</summary>
    public static IReadOnlyList<double>? Parse(string text, double totalBytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var budgets = new List<double>();
        foreach (string raw in text.Split(','))
        {
            string item = raw.Trim();
            budgets.Add(item.EndsWith('%')
                ? Number(item[..^1], item) / 100 * totalBytes
                : Sized(item));
        }

        return budgets;
    }

    private static double Sized(string item)
    {
        foreach (var (suffix, scale) in Units)
        {
            if (item.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return Number(item[..^suffix.Length], item) * scale;
            }
        }

        return Number(item, item);
    }

    private static double Number(string text, string item) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value >= 0
            ? value
            : throw new FormatException($"--curve: '{item}' is not a byte budget (auto, or sizes such as 500GB, 2.5TB, 1e12, or shares of the data such as 5%, comma separated)");
}
