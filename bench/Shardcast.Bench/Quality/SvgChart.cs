using System.Globalization;
using System.Text;
using Shardcast.Kernels;

namespace Shardcast.Bench.Quality;

/// <summary>A small SVG line chart (no chart library is available here): best energy against time, log-log.</summary>
internal static class SvgChart
{
    private const int Width = 720;
    private const int Height = 420;
    private const int Left = 80;
    private const int Right = 20;
    private const int Top = 40;
    private const int Bottom = 50;

    public static string TimeToQuality(string title, IReadOnlyList<TracePoint> trace, IReadOnlyList<(double Seconds, double Energy)> budgets, double best, double greedy)
    {
        var all = trace.Where(t => t.Elapsed.TotalSeconds > 0 && t.BestEnergy > 0).Select(t => (t.Elapsed.TotalSeconds, t.BestEnergy)).ToList();
        double xMin = Math.Log10(Math.Max(1e-3, Math.Min(all.Count > 0 ? all.Min(a => a.TotalSeconds) : 0.01, budgets.Min(b => b.Seconds))));
        double xMax = Math.Log10(Math.Max(all.Count > 0 ? all.Max(a => a.TotalSeconds) : 1, budgets.Max(b => b.Seconds)) * 1.1);
        var energies = all.Select(a => a.BestEnergy).Concat(budgets.Select(b => b.Energy)).Append(best).Append(greedy).Where(e => e > 0).ToList();
        double yMin = Math.Log10(energies.Min() * 0.8);
        // Infeasible starts sit orders of magnitude above the rest (penalties); keep the scale on the plans that
        // matter and mark what lies above it.
        double yMax = Math.Log10(Math.Min(energies.Max(), Math.Max(greedy, best) * 3) * 1.25);
        double X(double s) => Left + ((Math.Log10(s) - xMin) / (xMax - xMin) * (Width - Left - Right));
        double Y(double e) => Top + ((yMax - Math.Min(yMax, Math.Log10(Math.Max(e, 1e-12)))) / (yMax - yMin) * (Height - Top - Bottom));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>");
        for (int d = (int)Math.Floor(xMin); d <= (int)Math.Ceiling(xMax); d++)
        {
            double s = Math.Pow(10, d);
            if (Math.Log10(s) < xMin || Math.Log10(s) > xMax)
            {
                continue;
            }

            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(s):0.0}\" y1=\"{Top}\" x2=\"{X(s):0.0}\" y2=\"{Height - Bottom}\" stroke=\"#ddd\"/><text x=\"{X(s):0.0}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{s.ToString("G", CultureInfo.InvariantCulture)} s</text>");
        }

        for (int d = (int)Math.Floor(yMin); d <= (int)Math.Ceiling(yMax); d++)
        {
            double e = Math.Pow(10, d);
            if (d < yMin || d > yMax)
            {
                continue;
            }

            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Y(e):0.0}\" x2=\"{Width - Right}\" y2=\"{Y(e):0.0}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{Y(e) + 4:0.0}\" text-anchor=\"end\">1e{d}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">search time (log)</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(18,{Height / 2}) rotate(-90)\" text-anchor=\"middle\">energy = cost + penalties (log)</text>");
        if (all.Count > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
            double last = all[0].BestEnergy;
            foreach (var (t, e) in all)
            {
                svg.Append(CultureInfo.InvariantCulture, $"{X(t):0.0},{Y(last):0.0} {X(t):0.0},{Y(e):0.0} ");
                last = e;
            }

            svg.Append("\"/>");
        }

        foreach (var (s, e) in budgets)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(s):0.0}\" cy=\"{Y(e):0.0}\" r=\"5\" fill=\"#ff7f0e\"/>");
            if (Math.Log10(e) > yMax)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(s) + 8:0.0}\" y=\"{Y(e) + 14:0.0}\" fill=\"#ff7f0e\">off scale: {e:G3} (infeasible)</text>");
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Y(greedy):0.0}\" x2=\"{Width - Right}\" y2=\"{Y(greedy):0.0}\" stroke=\"#d62728\" stroke-dasharray=\"6,4\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right - 4}\" y=\"{Y(greedy) - 6:0.0}\" text-anchor=\"end\" fill=\"#d62728\">greedy baseline</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right - 4}\" y=\"{Top + 14}\" text-anchor=\"end\" fill=\"#1f77b4\">best so far in the long run</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right - 4}\" y=\"{Top + 30}\" text-anchor=\"end\" fill=\"#ff7f0e\">runs with a budget of 0.1 to 5 s</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
