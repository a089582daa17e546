using Shardcast.Host.Commands;
using Shardcast.Kernels;

namespace Shardcast.Host.Tests.Commands;

public class SearchProgressDisplayTests
{
    [Fact]
    public void Redirected_progress_is_a_line_per_interval_with_the_budget_and_the_best_energy()
    {
        var error = new StringWriter();
        int reports = SearchProgressDisplay.Run(error, TimeSpan.FromSeconds(60), progress =>
        {
            // A real search: the plan's best energy reaches the reporter; interval zero prints every report.
            var quiet = new SearchProgressDisplay.LineProgress(TextWriter.Null, null, TimeSpan.FromHours(1));
            var every = new SearchProgressDisplay.LineProgress(error, TimeSpan.FromSeconds(60), TimeSpan.Zero);
            every.Report(new TracePoint(TimeSpan.Zero, 12.345678));
            every.Report(new TracePoint(TimeSpan.Zero, 2_676_251_130));
            quiet.Report(new TracePoint(TimeSpan.Zero, 1));
            progress.Report(new TracePoint(TimeSpan.Zero, 3));
            return 2;
        });

        string[] lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, reports);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^searching: \d+\.\d s of 60 s, best energy 12\.3457$", lines[0]);
        Assert.EndsWith("best energy 2,676,251,130", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_plan_longer_than_the_interval_shows_it_is_searching()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string example = Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json");
        int code = Cli.Run(["plan", "--input", example, "--time-ms", "5600", "--no-scaling-advice"], output, error, () => new MemoryStream());
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Matches(@"searching: \d+\.\d s of 5\.6 s, best energy \d", error.ToString());
    }
}
