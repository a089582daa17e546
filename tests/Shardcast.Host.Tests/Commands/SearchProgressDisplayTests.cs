using Shardcast.Tests;
using Shardcast.Engine.Planning;
using Shardcast.Host.Commands;
using Shardcast.Kernels;

namespace Shardcast.Host.Tests.Commands;

public class SearchProgressDisplayTests
{
    [Fact]
    public void Redirected_progress_is_a_line_per_interval_timed_from_the_first_report()
    {
        var error = new StringWriter();
        var clock = new ManualClock();
        var progress = new SearchProgressDisplay.LineProgress(error, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), clock);
        clock.Advance(TimeSpan.FromSeconds(30));        // building the problem: not the search's time
        progress.Report(new TracePoint(TimeSpan.Zero, 40));   // the first report starts the search's time; a short search prints nothing
        clock.Advance(TimeSpan.FromSeconds(4.9));
        progress.Report(new TracePoint(TimeSpan.Zero, 11));   // inside the interval: no line
        clock.Advance(TimeSpan.FromSeconds(0.2));
        progress.Report(new TracePoint(TimeSpan.Zero, 2_676_251_130));
        clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report(new TracePoint(TimeSpan.Zero, 9));
        clock.Advance(TimeSpan.FromSeconds(4.1));
        progress.Report(new TracePoint(TimeSpan.Zero, 12.345678));

        Assert.Equal(
            ["searching: 5.1 s of 60 s, best energy 2,676,251,130", "searching: 10.2 s of 60 s, best energy 12.3457"],
            error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void A_plan_whose_search_outlasts_the_interval_shows_it_is_searching()
    {
        // The plan's clock moves 100 ms each time it is read, so a step-bounded search crosses the 5 s interval
        // after a count of reads, on any machine.
        var output = new StringWriter();
        var error = new StringWriter();
        string example = Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json");
        var options = new PlanOptions { StepsPerChain = 40_000, Seed = 1, AdviseScaling = false, Clock = new ManualClock(TimeSpan.FromMilliseconds(100)) };
        int code = PlanCommand.Run(example, null, options, output, error);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Matches(@"searching: \d+\.\d s, best energy \d", error.ToString());
    }
}
