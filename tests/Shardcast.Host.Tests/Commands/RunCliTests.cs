using System.Text.Json;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

/// <summary>`shardcast run`: the control loop from the CLI on an embedded Garnet store under a ramping workload; refusals name the option.</summary>
public sealed class RunCliTests
{
    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void The_loop_runs_its_cycles_prints_a_line_each_and_loses_no_write()
    {
        string chart = Path.Combine(Path.GetTempPath(), $"shardcast-run-{Guid.NewGuid():N}.svg");
        var (code, stdout, stderr) = Run("run", "--cycles", "6", "--step-seconds", "1", "--keys", "2000", "--rate", "1000", "--ramp-from", "0.5", "--ramp-to", "0.9", "--plan-time-ms", "150", "--chart", chart, "--json");
        Assert.True(code == ExitCodes.Ok, stdout + stderr);

        // The chart: one line per node, theta, a dot per planned cycle; well-formed, nothing fetched.
        var svg = System.Xml.Linq.XDocument.Load(chart);
        File.Delete(chart);
        var elements = svg.Descendants().ToList();
        Assert.Equal(3, elements.Count(e => e.Name.LocalName == "polyline" && (string?)e.Attribute("class") == "node"));
        Assert.Single(elements, e => (string?)e.Attribute("class") == "theta");
        Assert.All(elements.Where(e => e.Name.LocalName == "polyline"), e => Assert.True(((string?)e.Attribute("points") ?? "").Split(' ').Length >= 5));
        Assert.DoesNotContain(elements, e => e.Attributes().Any(a => a.Name.LocalName == "href"));
        Assert.Contains("control loop: a step every 1 s, planned every step and at once on an anomaly in any of 32 ranges", stdout, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        var root = json.RootElement;
        Assert.Equal(6, root.GetProperty("cycles").GetInt32());
        Assert.Equal(0, root.GetProperty("lost_writes").GetInt32());
        Assert.Equal(0, root.GetProperty("failed_moves").GetInt32());
        var cycles = root.GetProperty("cycle_reports").EnumerateArray().ToList();
        Assert.Equal(6, cycles.Count);
        Assert.All(cycles, c => Assert.Equal(3, c.GetProperty("measured").EnumerateObject().Count()));
        Assert.All(cycles, c => Assert.Contains(c.GetProperty("decision").GetString(), new[] { "act", "replanned", "executing", "within_theta", "small_gain", "nothing_to_move" }));
        Assert.True(root.GetProperty("node_capacity").GetDouble() > 0);
    }

    [Fact]
    public void A_flash_crowd_between_scheduled_cycles_is_planned_for_at_once_on_its_anomaly()
    {
        // Only the first cycle is on the schedule; the crowd comes after the 40th, once the detectors have learnt.
        var (code, stdout, stderr) = Run("run", "--cycles", "46", "--step-seconds", "0.5", "--plan-every", "1000", "--workload", "flash", "--keys", "2000", "--rate", "1000", "--ramp-from", "0.1", "--ramp-to", "0.8", "--plan-time-ms", "100", "--json");
        Assert.True(code == ExitCodes.Ok, stdout + stderr);
        Assert.Contains("jumping to 80 % after cycle 40", stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        var root = json.RootElement;
        Assert.Equal(0, root.GetProperty("lost_writes").GetInt32());
        var cycles = root.GetProperty("cycle_reports").EnumerateArray().ToList();
        Assert.Equal("schedule", cycles[0].GetProperty("trigger").GetString());
        var planned = cycles.Skip(1).Where(c => c.GetProperty("trigger").ValueKind != JsonValueKind.Null).ToList();
        // Nothing plans between the first cycle and the crowd; its first alarm plans within two steps of it (and any
        // alarm after, during the execution that cycle started, replans it).
        Assert.All(planned, c => Assert.Equal("anomaly", c.GetProperty("trigger").GetString()));
        Assert.NotEmpty(planned);
        var first = planned[0];
        Assert.InRange(first.GetProperty("cycle").GetInt32(), 41, 43);
        var anomalies = first.GetProperty("anomalies").EnumerateArray().ToList();
        Assert.NotEmpty(anomalies);
        Assert.All(anomalies, a => Assert.InRange(a.GetProperty("score").GetDouble(), 0.999, 1));
        Assert.Contains(anomalies, a => a.GetProperty("partition").GetString()!.StartsWith("slots:", StringComparison.Ordinal) && int.Parse(a.GetProperty("partition").GetString()!.Split(':', '-')[1], System.Globalization.CultureInfo.InvariantCulture) <= 2_729);
        Assert.Contains("planned at once", stdout, StringComparison.Ordinal);
        Assert.True(root.GetProperty("anomaly_cycles").GetInt32() >= 1);
    }

    [Theory]
    [InlineData("--plan-every", "0", "--plan-every must be 1 or more steps")]
    [InlineData("--step-seconds", "0.1", "--step-seconds must be 0.2 to 3600")]
    [InlineData("--quantile", "1", "the quantile must lie strictly between 0 and 1")]
    [InlineData("--ramp-to", "2", "--ramp-from and --ramp-to are shares in [0, 1]")]
    [InlineData("--horizon", "0", "the horizon must be 1 to 288 steps")]
    public void Bad_options_are_refused_naming_them(string option, string value, string message)
    {
        var (code, _, stderr) = Run("run", option, value);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
