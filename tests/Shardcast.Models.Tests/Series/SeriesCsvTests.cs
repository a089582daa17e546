using Shardcast.Models.Series;

namespace Shardcast.Models.Tests.Series;

public class SeriesCsvTests
{
    [Fact]
    public void Reads_dates_and_unix_seconds_and_finds_the_most_common_step()
    {
        var series = Read("timestamp,value\n2014-02-14 14:30:00,1.5\n2014-02-14 14:35:00,2\n2014-02-14 14:40:00,2.5\n2014-02-14 14:50:00,3\n");
        Assert.Equal(4, series.Length);
        Assert.Equal(300, series.StepSeconds());
        Assert.Equal(new DateTime(2014, 2, 14, 14, 30, 0, DateTimeKind.Utc), DateTime.UnixEpoch.AddSeconds(series.Timestamps[0]));
        var unix = Read("timestamp,value\n600,1\n1200,2\n");
        Assert.Equal(600, unix.StepSeconds());
    }

    [Fact]
    public void Repeated_timestamps_are_kept_as_rows()
    {
        // NAB's ec2_disk_write_bytes_1ef3de repeats 03:00:00 across a clock change; the backtest protocol uses rows as they are.
        var series = Read("timestamp,value\n2014-03-09 01:59:00,0\n2014-03-09 03:00:00,1\n2014-03-09 03:00:00,2\n2014-03-09 03:05:00,3\n");
        Assert.Equal(4, series.Length);
    }

    [Theory]
    [InlineData("time,value\n1,2\n", ":1: expected the header")]
    [InlineData("timestamp,value\n1,2\n2,abc\n", ":3: value 'abc'")]
    [InlineData("timestamp,value\n1,2\n2,NaN\n", ":3: value 'NaN'")]
    [InlineData("timestamp,value\n5,2\n4,3\n", ":3: timestamp '4' is before")]
    [InlineData("timestamp,value\nyesterday,2\n", ":2: timestamp 'yesterday'")]
    [InlineData("timestamp,value\n1,2,3\n", ":2: expected two fields")]
    [InlineData("timestamp,value\n1,2\n1e308,3\n", ":3: timestamp '1e308' is neither a date-time nor Unix seconds within the years 1 to 9999")]
    [InlineData("timestamp,value\n", "no data rows")]
    public void Bad_files_are_refused_naming_the_line(string text, string expected)
    {
        var e = Assert.Throws<SeriesFormatException>(() => Read(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.csv", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_expands_to_its_csv_files_and_missing_paths_are_refused()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "b.csv"), "timestamp,value\n1,1\n2,2\n");
            Directory.CreateDirectory(Path.Combine(folder, "sub"));
            File.WriteAllText(Path.Combine(folder, "sub", "a.csv"), "timestamp,value\n1,1\n2,2\n");
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "ignored");
            var set = SeriesCsv.ReadAll([folder]);
            Assert.Equal(["b", "a"], set.Select(s => s.Name));
            Assert.Throws<SeriesFormatException>(() => SeriesCsv.ReadAll([Path.Combine(folder, "missing.csv")]));
            Assert.Throws<SeriesFormatException>(() => SeriesCsv.ReadAll([folder, Path.Combine(folder, "b.csv")]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Written_series_read_back_identically()
    {
        var series = new TimeSeries("x", [1_400_000_000, 1_400_000_300], [0.1, 1e-7]);
        var writer = new StringWriter();
        SeriesCsv.Write(series, writer);
        var back = Read(writer.ToString());
        Assert.Equal(series.Timestamps, back.Timestamps);
        Assert.Equal(series.Values, back.Values);
    }

    [Fact]
    public void Times_past_the_calendar_are_written_as_unix_seconds_and_refused_when_read()
    {
        // A forecast's steps can pass year 9999 even when its history does not.
        var series = new TimeSeries("x", [253_402_300_799, 253_402_300_800, 1e12], [1, 2, 3]);
        var writer = new StringWriter();
        SeriesCsv.Write(series, writer);
        Assert.Equal(["timestamp,value", "9999-12-31 23:59:59,1", "253402300800,2", "1000000000000,3"], writer.ToString().TrimEnd().Split(Environment.NewLine));
        Assert.Throws<SeriesFormatException>(() => Read(writer.ToString()));
    }

    private static TimeSeries Read(string text) => SeriesCsv.Read(new StringReader(text), "test", "test.csv");
}
