using System.Globalization;
using System.Text.Json;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

/// <summary>forecast and backtest with a known-events file: a shop whose sales every third day triple its load.</summary>
public sealed class KnownEventsCliTests : IDisposable
{
    private static readonly DateTime Origin = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly string _folder = Directory.CreateTempSubdirectory("shardcast-events-").FullName;

    public KnownEventsCliTests()
    {
        var random = new Random(3);
        var sales = Enumerable.Range(0, 14).Select(k => Origin.AddDays(2 + (3 * k)).AddHours(12)).ToList();
        using (var csv = new StreamWriter(Path.Combine(_folder, "shop.csv")))
        {
            csv.WriteLine("timestamp,value");
            for (int i = 0; i < 42 * 24; i++)
            {
                var at = Origin.AddHours(i);
                double load = 100 + (0.05 * i) + (40 * Math.Sin(2 * Math.PI * (i % 24) / 24));
                bool sale = sales.Any(s => at >= s && at < s.AddHours(5));
                csv.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{at:yyyy-MM-dd HH:mm:ss},{(load * (sale ? 3 : 1)) + (4 * (random.NextDouble() - 0.5)):F3}"));
            }
        }

        var saleEvents = sales.Select(s => new Dictionary<string, object> { ["tag"] = "sale", ["start"] = Time(s), ["end"] = Time(s.AddHours(5)), ["series"] = new[] { "shop" } }).ToList();
        File.WriteAllText(SalesFile, JsonSerializer.Serialize(saleEvents));

        // The history ends at 2026-02-11 23:00; a launch nobody has seen before, announced at twice the load, 03:00 to 06:00.
        var launch = new Dictionary<string, object> { ["tag"] = "launch", ["start"] = "2026-02-12 03:00:00", ["end"] = (new DateTime(2026, 2, 12, 6, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalSeconds, ["multiplier"] = 2 };
        File.WriteAllText(LaunchFile, JsonSerializer.Serialize(saleEvents.Append(launch)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Shop => Path.Combine(_folder, "shop.csv");

    private string SalesFile => Path.Combine(_folder, "sales.json");

    private string LaunchFile => Path.Combine(_folder, "launch.json");

    private static string Time(DateTime at) => at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static double[][] Rows(string csv) =>
        [.. csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(',').Skip(2).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())];

    [Fact]
    public void Forecast_provisions_an_announced_launch_in_its_window_and_says_so()
    {
        var (code, sales, error) = CliRunner.Run("forecast", "--input", Shop, "--model", "ets", "--horizon", "8", "--quantiles", "0.1,0.9", "--events", SalesFile);
        Assert.True(code == ExitCodes.Ok, error);
        var (code2, launch, error2) = CliRunner.Run("forecast", "--input", Shop, "--model", "ets", "--horizon", "8", "--quantiles", "0.1,0.9", "--events", LaunchFile);
        Assert.True(code2 == ExitCodes.Ok, error2);
        Assert.Contains("note: event 'launch' ahead: x2 as given", error2, StringComparison.Ordinal);
        var without = Rows(sales);
        var with = Rows(launch);
        for (int h = 0; h < 8; h++)
        {
            double factor = h + 1 is >= 4 and <= 6 ? 2 : 1;
            Assert.Equal(without[h][0] * factor, with[h][0], 6);
            Assert.Equal(without[h][1] * factor, with[h][1], 6);
        }
    }

    [Fact]
    public void Backtest_with_the_sales_known_scores_far_better_than_without()
    {
        var (code, plain, error) = CliRunner.Run("backtest", "--data", Shop, "--models", "snaive,ets", "--json");
        Assert.True(code == ExitCodes.Ok, error);
        var (code2, known, error2) = CliRunner.Run("backtest", "--data", Shop, "--models", "snaive,ets", "--json", "--events", SalesFile);
        Assert.True(code2 == ExitCodes.Ok, error2);
        Assert.Contains("events: 1 of 1 series have known events", error2, StringComparison.Ordinal);
        double Mase(string json, string model)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.GetProperty("series").EnumerateArray().Single(r => r.GetProperty("model").GetString() == model).GetProperty("mase").GetDouble();
        }

        foreach (string model in new[] { "snaive", "ets" })
        {
            Assert.True(Mase(known, model) < 0.5 * Mase(plain, model), $"{model}: MASE {Mase(known, model):F3} with the sales known, {Mase(plain, model):F3} without");
        }
    }

    [Theory]
    [InlineData("""{"tag": "x"}""", "$: expected an array of events")]
    [InlineData("""[{"start": 0, "end": 10}]""", "$[0].tag: required")]
    [InlineData("""[{"tag": "x", "start": "soon", "end": 10}]""", "$[0].start: 'soon' is neither Unix seconds nor a date-time")]
    [InlineData("""[{"tag": "x", "start": 20, "end": 10}]""", "$[0]: event 'x': end (10) must be after start (20)")]
    [InlineData("""[{"tag": "x", "start": 0, "end": 10, "multiplier": -1}]""", "$[0]: event 'x': multiplier must lie between")]
    [InlineData("""[{"tag": "x", "start": 0, "end": 10, "when": 1}]""", "$[0].when: unknown field")]
    [InlineData("""[{"tag": "x", "start": 0, "end": 10,}]""", "not JSON")]
    public void A_bad_events_file_exits_2_naming_the_entry(string json, string expected)
    {
        string file = Path.Combine(_folder, "bad.json");
        File.WriteAllText(file, json);
        var (code, _, error) = CliRunner.Run("forecast", "--input", Shop, "--events", file);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(file + ": " + expected, error, StringComparison.Ordinal);
    }
}
