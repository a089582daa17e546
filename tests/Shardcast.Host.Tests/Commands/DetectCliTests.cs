using System.Globalization;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

public sealed class DetectCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("shardcast-detect-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A NAB-style file: five-minute steps of a daily cycle, with a burst at <paramref name="spikeAt"/> (or none).</summary>
    private string WriteSeries(string category, string name, int rows, int? spikeAt, int seed)
    {
        var random = new Random(seed);
        var start = new DateTime(2015, 9, 1, 0, 0, 0, DateTimeKind.Utc);
        var lines = new List<string> { "timestamp,value" };
        for (int t = 0; t < rows; t++)
        {
            double v = 60 + (30 * Math.Sin(2 * Math.PI * t / 288)) + random.NextDouble();
            if (spikeAt is { } s && t >= s && t < s + 3)
            {
                v += 100;
            }

            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{start.AddMinutes(5 * t):yyyy-MM-dd HH:mm:ss},{Math.Round(v, 2)}"));
        }

        string folder = Path.Combine(_root, "data", category);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Detect_writes_nab_s_layout_one_scored_row_per_row_and_alarms_at_the_burst()
    {
        string input = WriteSeries("realTraffic", "speed_1.csv", 2000, spikeAt: 1700, seed: 1);
        WriteSeries("realTraffic", "speed_2.csv", 1500, spikeAt: null, seed: 2);
        WriteSeries("realOther", "cpu_1.csv", 1200, spikeAt: 1000, seed: 3);
        string outDir = Path.Combine(_root, "out");

        var (code, output, error) = CliRunner.Run("detect", "--data", Path.Combine(_root, "data"), "--out", outDir, "--detector", "mine");

        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("scored 3 files (4,700 rows", error, StringComparison.Ordinal);
        string result = Path.Combine(outDir, "realTraffic", "mine_speed_1.csv");
        var inRows = File.ReadAllLines(input);
        var outRows = File.ReadAllLines(result);
        Assert.Equal("timestamp,value,anomaly_score", outRows[0]);
        Assert.Equal(inRows.Length, outRows.Length);
        for (int i = 1; i < inRows.Length; i++)
        {
            Assert.StartsWith(inRows[i] + ",", outRows[i], StringComparison.Ordinal);
            double score = double.Parse(outRows[i].Split(',')[2], CultureInfo.InvariantCulture);
            Assert.InRange(score, 0, 1);
        }

        Assert.True(File.Exists(Path.Combine(outDir, "realOther", "mine_cpu_1.csv")));
        var summary = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("file,rows,alarms,major,first_alarm", summary[0]);
        string speed1 = Assert.Single(summary, l => l.StartsWith("realTraffic/speed_1.csv,", StringComparison.Ordinal));
        Assert.StartsWith("realTraffic/speed_1.csv,2000,", speed1, StringComparison.Ordinal);

        // The burst's first row scores higher than any row before it once the cycle has been learnt.
        var scores = outRows[1..].Select(r => double.Parse(r.Split(',')[2], CultureInfo.InvariantCulture)).ToArray();
        Assert.True(scores[1700] > scores[600..1700].Max(), $"burst {scores[1700]}, before {scores[600..1700].Max()}");
        Assert.True(scores[1700] > 0.999);
    }

    [Fact]
    public void A_bad_row_refuses_its_file_by_line_and_the_other_files_are_still_scored()
    {
        WriteSeries("a", "good.csv", 500, spikeAt: null, seed: 4);
        string bad = WriteSeries("a", "bad.csv", 500, spikeAt: null, seed: 5);
        var lines = File.ReadAllLines(bad);
        lines[42] = "2015-09-01 03:25:00,n/a";
        File.WriteAllLines(bad, lines);
        string outDir = Path.Combine(_root, "out");

        var (code, _, error) = CliRunner.Run("detect", "--data", Path.Combine(_root, "data"), "--out", outDir);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("bad.csv:43: expected 'timestamp,value' with a finite number, found '2015-09-01 03:25:00,n/a'", error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outDir, "a", "shardcast_good.csv")));
        Assert.False(File.Exists(Path.Combine(outDir, "a", "shardcast_bad.csv")));
    }

    [Theory]
    [InlineData("--context", "0", "--context: the context length must be 1..256 points, found 0")]
    [InlineData("--long-window", "2", "--long-window: the long window (2) must be longer than the short window (2)")]
    [InlineData("--hold-off", "-1", "--hold-off: the hold-off must be 0 or more observations, found -1")]
    [InlineData("--detector", "my_detector", "--detector: 'my_detector' must be a non-empty file-name part without '_'")]
    public void Settings_that_cannot_work_are_refused_naming_the_option(string option, string value, string message)
    {
        WriteSeries("a", "x.csv", 100, spikeAt: null, seed: 6);
        var (code, _, error) = CliRunner.Run("detect", "--data", Path.Combine(_root, "data"), "--out", Path.Combine(_root, "out"), option, value);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_without_the_header_and_a_folder_that_does_not_exist_are_refused()
    {
        Directory.CreateDirectory(Path.Combine(_root, "data", "a"));
        File.WriteAllLines(Path.Combine(_root, "data", "a", "noheader.csv"), ["2015-09-01 00:00:00,1", "2015-09-01 00:05:00,2"]);
        var (code, _, error) = CliRunner.Run("detect", "--data", Path.Combine(_root, "data"), "--out", Path.Combine(_root, "out"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("noheader.csv:1: expected the header 'timestamp,value'", error, StringComparison.Ordinal);

        (code, _, error) = CliRunner.Run("detect", "--data", Path.Combine(_root, "missing"), "--out", Path.Combine(_root, "out"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("missing: no such file or folder", error, StringComparison.Ordinal);
    }
}
