using System.Globalization;
using System.Net;
using System.Text;

namespace Shardcast.Host.Demo;

/// <summary>A line of a chart: its values at x = 0, 1, 2... (NaN leaves a gap).</summary>
public sealed record ChartLine(string Name, string Color, double[] Values, bool Dashed = false, bool Step = false);

/// <summary>
/// Charts as inline SVG, drawn here so that the report is one file that fetches nothing and runs no script: line
/// charts (with an optional band) and heat maps. Every chart carries a class `chart` and its title, which the report's
/// browser test looks for.
/// </summary>
public static class SvgCharts
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private const int Left = 56, Right = 150, Top = 28, Bottom = 34;

    /// <param name="xScale">The x value of index i is i * xScale (e.g. hours per step).</param>
    /// <param name="band">A shaded range (lower, upper) drawn under the lines.</param>
    /// <param name="reference">A horizontal line (e.g. theta) with its label.</param>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<ChartLine> lines, double xScale,
        (double[] Lower, double[] Upper, string Color, string Name)? band = null, (double Value, string Label)? reference = null, int width = 900, int height = 260)
    {
        int n = lines.Select(l => l.Values.Length).DefaultIfEmpty(0).Max();
        double max = lines.SelectMany(l => l.Values).Concat(band?.Upper ?? []).Where(double.IsFinite).DefaultIfEmpty(1).Max();
        max = Math.Max(max, reference?.Value ?? 0);
        max = NiceCeiling(max <= 0 ? 1 : max * 1.05);
        double plotW = width - Left - Right, plotH = height - Top - Bottom;
        double X(double i) => Left + (n <= 1 ? 0 : i / (n - 1) * plotW);
        double Y(double v) => Top + plotH - (v / max * plotH);

        var svg = Open(title, width, height);
        Axes(svg, width, height, max, (n - 1) * xScale, xLabel, yLabel);
        if (band is { } b)
        {
            var path = new StringBuilder();
            var upper = new List<string>();
            var lower = new List<string>();
            for (int i = 0; i < b.Upper.Length; i++)
            {
                if (double.IsFinite(b.Upper[i]) && double.IsFinite(b.Lower[i]))
                {
                    upper.Add(Point(X(i), Y(b.Upper[i])));
                    lower.Add(Point(X(i), Y(b.Lower[i])));
                }
            }

            if (upper.Count > 1)
            {
                lower.Reverse();
                svg.Append(C, $"<path d=\"M{string.Join(" L", upper)} L{string.Join(" L", lower)} Z\" fill=\"{b.Color}\" fill-opacity=\"0.25\" stroke=\"none\"/>");
            }
        }

        if (reference is { } r)
        {
            svg.Append(C, $"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Y(r.Value):0.#}\" y2=\"{Y(r.Value):0.#}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>");
            svg.Append(C, $"<text x=\"{Left + plotW - 4}\" y=\"{Y(r.Value) - 4:0.#}\" text-anchor=\"end\" font-size=\"11\" fill=\"#666\">{Escape(r.Label)}</text>");
        }

        foreach (var line in lines)
        {
            var d = new StringBuilder();
            bool pen = false;
            double lastY = 0;
            for (int i = 0; i < line.Values.Length; i++)
            {
                double v = line.Values[i];
                if (!double.IsFinite(v))
                {
                    pen = false;
                    continue;
                }

                if (pen && line.Step)
                {
                    d.Append(C, $" L{X(i):0.#},{lastY:0.#}");
                }

                d.Append(pen ? " L" : " M").Append(Point(X(i), Y(v)));
                lastY = Y(v);
                pen = true;
            }

            if (d.Length > 0)
            {
                svg.Append(C, $"<path d=\"{d.ToString().Trim()}\" fill=\"none\" stroke=\"{line.Color}\" stroke-width=\"1.6\"{(line.Dashed ? " stroke-dasharray=\"5 3\"" : "")}/>");
            }
        }

        var legend = lines.Select(l => (l.Name, l.Color)).ToList();
        if (band is { } bl)
        {
            legend.Add((bl.Name, bl.Color));
        }

        Legend(svg, legend, width);
        return svg.Append("</svg>").ToString();
    }

    /// <summary>Rows (nodes) by columns (time); each cell coloured by its value: pale green at 0, amber at theta, red at 1 and above, grey where the row did not exist.</summary>
    public static string Heat(string title, IReadOnlyList<string> rows, IReadOnlyList<double[]> values, double xScale, string xLabel, double theta, int width = 900)
    {
        int columns = values.Select(v => v.Length).DefaultIfEmpty(0).Max();
        int rowHeight = Math.Clamp(180 / Math.Max(1, rows.Count), 8, 18);
        int height = Top + Bottom + (rowHeight * rows.Count);
        double plotW = width - Left - Right;
        double cell = plotW / Math.Max(1, columns);
        var svg = Open(title, width, height);
        for (int r = 0; r < rows.Count; r++)
        {
            double y = Top + (r * rowHeight);
            svg.Append(C, $"<text x=\"{Left - 6}\" y=\"{y + rowHeight - 2:0.#}\" text-anchor=\"end\" font-size=\"10\">{Escape(rows[r])}</text>");
            var d = new Dictionary<string, StringBuilder>();
            for (int c = 0; c < columns; c++)
            {
                double v = c < values[r].Length ? values[r][c] : double.NaN;
                string color = HeatColor(v, theta);
                if (!d.TryGetValue(color, out var path))
                {
                    d[color] = path = new StringBuilder();
                }

                // One path per colour: thousands of cells stay a few elements.
                path.Append(C, $"M{Left + (c * cell):0.##},{y:0.#}h{cell + 0.05:0.##}v{rowHeight - 1}h{-(cell + 0.05):0.##}z");
            }

            foreach (var (color, path) in d)
            {
                svg.Append(C, $"<path d=\"{path}\" fill=\"{color}\"/>");
            }
        }

        // x axis in hours
        double span = (columns - 1) * xScale;
        foreach (double t in Ticks(span))
        {
            double x = Left + (span <= 0 ? 0 : t / span * plotW);
            svg.Append(C, $"<text x=\"{x:0.#}\" y=\"{height - Bottom + 14}\" text-anchor=\"middle\" font-size=\"10\">{t:0.#}</text>");
        }

        svg.Append(C, $"<text x=\"{Left + (plotW / 2):0.#}\" y=\"{height - 4}\" text-anchor=\"middle\" font-size=\"11\">{Escape(xLabel)}</text>");
        Legend(svg, [("below theta", HeatColor(theta * 0.5, theta)), ($"above theta ({theta:0.##})", HeatColor((theta + 1) / 2, theta)), ("overloaded (> 1)", HeatColor(1.2, theta)), ("not in cluster", HeatColor(double.NaN, theta))], width);
        return svg.Append("</svg>").ToString();
    }

    public static string HeatColor(double u, double theta)
    {
        if (!double.IsFinite(u))
        {
            return "#e6e6e6";
        }

        if (u > 1)
        {
            return "#b2182b";
        }

        // Quantised to 10 shades below theta and 5 above: a few paths per row, and the eye reads bands anyway.
        if (u <= theta)
        {
            double t = Math.Round(Math.Clamp(u / theta, 0, 1) * 10) / 10;
            return Mix((0xed, 0xf8, 0xe9), (0x31, 0xa3, 0x54), t);
        }

        double h = Math.Round(Math.Clamp((u - theta) / (1 - theta), 0, 1) * 5) / 5;
        return Mix((0xfe, 0xcc, 0x5c), (0xf0, 0x3b, 0x20), h);
    }

    private static string Mix((int R, int G, int B) a, (int R, int G, int B) b, double t) =>
        string.Create(C, $"#{(int)(a.R + ((b.R - a.R) * t)):x2}{(int)(a.G + ((b.G - a.G) * t)):x2}{(int)(a.B + ((b.B - a.B) * t)):x2}");

    private static StringBuilder Open(string title, int width, int height)
    {
        var svg = new StringBuilder();
        svg.Append(C, $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Escape(title)}\" font-family=\"sans-serif\">");
        svg.Append(C, $"<title>{Escape(title)}</title>");
        svg.Append(C, $"<text x=\"{Left}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{Escape(title)}</text>");
        return svg;
    }

    private static void Axes(StringBuilder svg, int width, int height, double max, double span, string xLabel, string yLabel)
    {
        double plotW = width - Left - Right, plotH = height - Top - Bottom;
        svg.Append(C, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"#fafafa\" stroke=\"#ccc\"/>");
        for (int k = 0; k <= 4; k++)
        {
            double v = max * k / 4, y = Top + plotH - (plotH * k / 4);
            svg.Append(C, $"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>");
            svg.Append(C, $"<text x=\"{Left - 4}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"10\">{Format(v)}</text>");
        }

        foreach (double t in Ticks(span))
        {
            double x = Left + (span <= 0 ? 0 : t / span * plotW);
            svg.Append(C, $"<text x=\"{x:0.#}\" y=\"{Top + plotH + 14}\" text-anchor=\"middle\" font-size=\"10\">{t:0.#}</text>");
        }

        svg.Append(C, $"<text x=\"{Left + (plotW / 2):0.#}\" y=\"{height - 4}\" text-anchor=\"middle\" font-size=\"11\">{Escape(xLabel)}</text>");
        svg.Append(C, $"<text x=\"12\" y=\"{Top + (plotH / 2):0.#}\" font-size=\"11\" transform=\"rotate(-90 12 {Top + (plotH / 2):0.#})\" text-anchor=\"middle\">{Escape(yLabel)}</text>");
    }

    private static void Legend(StringBuilder svg, IReadOnlyList<(string Name, string Color)> entries, int width)
    {
        for (int i = 0; i < entries.Count; i++)
        {
            double y = Top + 6 + (i * 16);
            svg.Append(C, $"<rect x=\"{width - Right + 12}\" y=\"{y - 8:0.#}\" width=\"12\" height=\"10\" fill=\"{entries[i].Color}\"/>");
            svg.Append(C, $"<text x=\"{width - Right + 30}\" y=\"{y:0.#}\" font-size=\"11\">{Escape(entries[i].Name)}</text>");
        }
    }

    private static IEnumerable<double> Ticks(double span)
    {
        if (span <= 0)
        {
            yield return 0;
            yield break;
        }

        double step = span <= 6 ? 1 : span <= 24 ? 3 : span <= 72 ? 12 : 24;
        for (double t = 0; t <= span + 1e-9; t += step)
        {
            yield return t;
        }
    }

    private static double NiceCeiling(double v)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double m in new[] { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (m * magnitude >= v)
            {
                return m * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Format(double v) =>
        Math.Abs(v) >= 1e9 ? (v / 1e9).ToString("0.#", C) + "G" :
        Math.Abs(v) >= 1e6 ? (v / 1e6).ToString("0.#", C) + "M" :
        Math.Abs(v) >= 1e4 ? (v / 1e3).ToString("0.#", C) + "k" :
        v.ToString(Math.Abs(v) < 10 ? "0.##" : "0", C);

    private static string Point(double x, double y) => string.Create(C, $"{x:0.#},{y:0.#}");

    public static string Escape(string text) => WebUtility.HtmlEncode(text);
}
