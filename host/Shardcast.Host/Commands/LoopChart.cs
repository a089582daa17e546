using System.Globalization;
using System.Security;
using System.Text;
using Shardcast.Control;

namespace Shardcast.Host.Commands;

/// <summary>
/// The control loop's run as one self-contained SVG (nothing fetched, nothing animated): each node's measured
/// utilisation over time as a line, theta dashed, the forecast peak of each planned cycle as dots, and a mark where the
/// loop acted, labelled with its moves.
/// </summary>
public static class LoopChart
{
    private const int Width = 960, Height = 400, Left = 56, Right = 170, Top = 30, Bottom = 44;
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Svg(IReadOnlyList<CycleReport> cycles, double theta, string title)
    {
        ArgumentNullException.ThrowIfNull(cycles);
        var nodes = cycles.SelectMany(c => c.Measured.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        double end = Math.Max(1, cycles.Count == 0 ? 1 : cycles[^1].At.TotalSeconds);
        double top = Math.Max(1.2, cycles.SelectMany(c => c.Measured.Values.Append(double.IsNaN(c.ForecastPeak) ? 0 : c.ForecastPeak)).Where(double.IsFinite).DefaultIfEmpty(0).Max() * 1.05);
        double X(double seconds) => Left + ((Width - Left - Right) * seconds / end);
        double Y(double utilisation) => Top + ((Height - Top - Bottom) * (1 - (utilisation / top)));

        var svg = new StringBuilder();
        svg.Append(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(C, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(C, $"<text x=\"{Left}\" y=\"18\" font-size=\"14\">{SecurityElement.Escape(title)}</text>\n");
        for (double u = 0; u <= top + 1e-9; u += 0.2)
        {
            svg.Append(C, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(u):0.#}\" y2=\"{Y(u):0.#}\" stroke=\"#e6e6e6\"/><text x=\"{Left - 6}\" y=\"{Y(u) + 4:0.#}\" text-anchor=\"end\">{u:P0}</text>\n");
        }

        svg.Append(C, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">time (s)</text>\n");
        for (int i = 0; i <= 5; i++)
        {
            double t = end * i / 5;
            svg.Append(C, $"<text x=\"{X(t):0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{t:0}</text>\n");
        }

        svg.Append(C, $"<line class=\"theta\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(theta):0.#}\" y2=\"{Y(theta):0.#}\" stroke=\"#444\" stroke-dasharray=\"6 4\"/>\n");
        svg.Append(C, $"<text x=\"{Left + 4}\" y=\"{Y(theta) - 4:0.#}\" fill=\"#444\">theta {theta:P0}</text>\n");
        foreach (var acted in cycles.Where(c => c.Decision is "act" or "replanned"))
        {
            svg.Append(C, $"<line class=\"act\" x1=\"{X(acted.At.TotalSeconds):0.#}\" x2=\"{X(acted.At.TotalSeconds):0.#}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#999\"/><text x=\"{X(acted.At.TotalSeconds) + 3:0.#}\" y=\"{Top + 10}\" font-size=\"10\">{acted.Moves} move{(acted.Moves == 1 ? "" : "s")}</text>\n");
        }

        for (int n = 0; n < nodes.Count; n++)
        {
            string colour = Palette[n % Palette.Length];
            var points = cycles.Where(c => c.Measured.TryGetValue(nodes[n], out double u) && double.IsFinite(u))
                .Select(c => string.Create(C, $"{X(c.At.TotalSeconds):0.#},{Y(c.Measured[nodes[n]]):0.#}"));
            svg.Append(C, $"<polyline class=\"node\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n");
            svg.Append(C, $"<rect x=\"{Width - Right + 6}\" y=\"{Top + 24 + (n * 18)}\" width=\"12\" height=\"3\" fill=\"{colour}\"/><text x=\"{Width - Right + 22}\" y=\"{Top + 29 + (n * 18)}\">{SecurityElement.Escape(nodes[n])}</text>\n");
        }

        foreach (var planned in cycles.Where(c => double.IsFinite(c.ForecastPeak)))
        {
            svg.Append(C, $"<circle class=\"forecast\" cx=\"{X(planned.At.TotalSeconds):0.#}\" cy=\"{Y(planned.ForecastPeak):0.#}\" r=\"3\" fill=\"black\"/>\n");
        }

        int legend = Top + 34 + (nodes.Count * 18);
        svg.Append(C, $"<circle cx=\"{Width - Right + 12}\" cy=\"{legend}\" r=\"3\" fill=\"black\"/><text x=\"{Width - Right + 22}\" y=\"{legend + 4}\">forecast peak</text>\n");
        svg.Append(C, $"<line x1=\"{Width - Right + 6}\" x2=\"{Width - Right + 18}\" y1=\"{legend + 18}\" y2=\"{legend + 18}\" stroke=\"#999\"/><text x=\"{Width - Right + 22}\" y=\"{legend + 22}\">plan carried out</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
