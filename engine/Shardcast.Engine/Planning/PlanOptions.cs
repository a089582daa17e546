using Shardcast.Kernels;

namespace Shardcast.Engine.Planning;

/// <summary>Overrides of the cluster file's search section, from the CLI or a request.</summary>
public sealed record PlanOptions
{
    public string? Backend { get; init; }

    public SearchAlgorithm? Algorithm { get; init; }

    public int? TimeMs { get; init; }

    /// <summary>
    /// A <see cref="Clock"/> timestamp by which the plan must be judged and returned. The search then gets what is
    /// left after building the problem, less twice the time judging the start took (the result's judgement and the
    /// move sequencing come after it), and never more than <see cref="TimeMs"/> where that is given too. A wall-clock
    /// limit that includes setup: at 50,000 partitions on 5,000 nodes the setup alone takes seconds.
    /// </summary>
    public long? Deadline { get; init; }

    public ulong? Seed { get; init; }

    /// <summary>A step budget per chain instead of a time budget: the plan is then the same on every run.</summary>
    public long? StepsPerChain { get; init; }

    public int Threads { get; init; }

    /// <summary>Stop the search as soon as a plan's energy (cost plus penalties) is at or below this.</summary>
    public double? TargetCost { get; init; }

    /// <summary>Annealing chains; 0 lets the backend choose.</summary>
    public int Chains { get; init; }

    /// <summary>Whether to search for the node count that makes an infeasible plan feasible.</summary>
    public bool AdviseScaling { get; init; } = true;

    /// <summary>Whether partitions with segments are split and cold children merged before placement (and the cluster file's `restructure` allows it).</summary>
    public bool Restructure { get; init; } = true;

    /// <summary>The LSTM that forecasts partitions given by history (null: the shipped model); a server passes the one it serves.</summary>
    public Models.Neural.LstmNetwork? ForecastNetwork { get; init; }

    /// <summary>
    /// Whether the plan must move no more bytes than the greedy rebalancer and end with no higher peak: the search's
    /// plan and greedy's, each with the moves that buy no peak undone, and the better admissible one kept
    /// (<see cref="MovementGuard"/>). Off: the search's plan as it minimised the cost.
    /// </summary>
    public bool MovementGuard { get; init; } = true;

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The <paramref name="clock"/> timestamp <paramref name="span"/> from now (clamped to 0 to a day, so it cannot overflow).</summary>
    public static long DeadlineIn(TimeSpan span, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        double seconds = Math.Clamp(span.TotalSeconds, 0, TimeSpan.FromDays(1).TotalSeconds);
        return clock.GetTimestamp() + (long)(seconds * clock.TimestampFrequency);
    }

    /// <summary>The timestamp <paramref name="span"/> before <paramref name="timestamp"/> on <paramref name="clock"/>.</summary>
    public static long Before(long timestamp, TimeSpan span, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return timestamp - (long)(span.TotalSeconds * clock.TimestampFrequency);
    }

    /// <summary>Told the search's best energy as it goes (see <see cref="SearchOptions.Progress"/>); null for none.</summary>
    public IProgress<TracePoint>? Progress { get; init; }
}
