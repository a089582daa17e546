using System.Diagnostics;
using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search.Exact;

namespace Shardcast.Kernels.Search;

/// <summary>
/// Ruin and recreate in several lanes at once, one per chain, so the phase uses every core the chains used. Each lane
/// runs its own rounds from its own random stream for a leg of <see cref="RoundsPerLeg"/> rounds; after a leg every
/// lane starts again from the best plan any of them holds. A round's outcome depends on the path behind it (on a1_4
/// the same plan, rounded on for 24 s from three seeds, ended 5 M apart), and the legs keep the luckiest path.
/// <para>
/// Legs are counted in rounds, not seconds, and ties go to the lowest lane, so under a step budget the plan does not
/// depend on the thread count or the timing.
/// </para>
/// <para>
/// Where CBC's cbc command is installed and the problem suits it (<see cref="NodeSetRepack"/>), lane 0 is an exact lane: from the
/// second leg on it re-divides node sets exactly instead of running rounds, for as long as the last leg of rounds took
/// (under a step budget, <see cref="RoundsPerExactSet"/> rounds a set); a single lane alternates. The two find
/// different things: rounds move many members greedily, the exact sets fill a node's last room with the one
/// combination that fits (on a1_2 the plan's whole distance to the bound is one machine's room under safety). On
/// a1_2 and a1_4, keeping lane 0 exact only while its legs gained at least what a ruin lane gained did no better
/// than keeping it exact throughout: their gains come rarely and in large steps, so one leg says little (docs/benchmarks.md).
/// </para>
/// </summary>
internal sealed class RuinLanes
{
    /// <summary>Rounds each lane runs between restarts from the best: one to two seconds on the ROADEF A instances.</summary>
    public const int RoundsPerLeg = 25_000;

    /// <summary>Lanes at most: a fixed cap rather than the core count, so a step budget's plan stays the same on any machine.</summary>
    public const int MaxLanes = 16;

    /// <summary>Rounds one exact node set stands for under a step budget: about its solve time, measured on a1_2 and a1_4.</summary>
    public const int RoundsPerExactSet = 1_000;

    /// <summary>Longest one node set's solve may take under a time budget; most take tens of milliseconds.</summary>
    private const double SecondsPerExactSet = 0.5;

    /// <summary>Time left below which no node set is started: a child's start alone takes about 15 ms.</summary>
    private const double MinSecondsPerExactSet = 0.05;

    private readonly RuinRecreate[] _lanes;
    private readonly CounterRng[] _rngs;
    private readonly ParallelOptions _parallel;
    private readonly int _roundsPerLeg;
    private readonly NodeSetRepack? _exact;
    private CounterRng _exactRng;
    private TimeSpan _ruinLegTime;

    /// <summary>
    /// <paramref name="first"/> becomes lane 0; the other lanes get states of their own. Every lane starts from
    /// <paramref name="start"/>. With <paramref name="exactLane"/>, lane 0 may run exact node sets (the problem must
    /// suit <see cref="NodeSetRepack.Fits"/>).
    /// </summary>
    public RuinLanes(FlatProblem problem, SearchState first, ReadOnlySpan<int> start, int lanes, ulong seed, int threads, int roundsPerLeg = RoundsPerLeg, bool exactLane = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lanes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(roundsPerLeg, 1);
        _roundsPerLeg = roundsPerLeg;
        _lanes = new RuinRecreate[lanes];
        _rngs = new CounterRng[lanes];
        for (int l = 0; l < lanes; l++)
        {
            var state = l == 0 ? first : new SearchState(problem);
            state.Reset(start);
            _lanes[l] = new RuinRecreate(state);
            _rngs[l] = new CounterRng(seed, 0x5A1E0FUL + (ulong)l);
        }

        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        if (exactLane)
        {
            _exact = new NodeSetRepack(_lanes[0].State);
            _exactRng = new CounterRng(seed, 0xE8AC7UL);
        }
    }

    /// <summary>Node sets lane 0 has solved in its exact legs.</summary>
    public long ExactSets { get; private set; }

    /// <summary>
    /// Runs legs until <paramref name="roundLimit"/> rounds in all are run or <paramref name="stop"/> says so for the
    /// best lane. Under a time budget, <paramref name="timeLeft"/> says how long the phase has left, and no exact
    /// solve is given more. Returns the state holding the best plan (exact), the rounds run and the rounds that lowered
    /// a lane's energy.
    /// </summary>
    public (SearchState Best, long Rounds, long Improved) Run(long roundLimit, Func<SearchState, bool> stop, Func<TimeSpan?>? timeLeft = null)
    {
        int count = _lanes.Length;
        long perLane = roundLimit == long.MaxValue ? long.MaxValue : Math.Max(1, roundLimit / count);
        var rounds = new long[count];
        var improved = new long[count];
        bool timed = roundLimit == long.MaxValue;
        int best = 0;
        long legs = 0;
        while (true)
        {
            // The first leg is all rounds, to time a leg; a single lane alternates.
            bool exactLeg = _exact is not null && legs > 0 && (count > 1 || legs % 2 == 1);
            var legTime = _ruinLegTime;
            Parallel.For(0, count, _parallel, l =>
            {
                var lane = _lanes[l];
                long leg = Math.Min(_roundsPerLeg, perLane - rounds[l]);
                if (exactLeg && l == 0)
                {
                    (rounds[0], improved[0]) = ExactLeg(leg, timed ? legTime : null, timeLeft, rounds[0], improved[0], () => stop(lane.State));
                    return;
                }

                long started = Stopwatch.GetTimestamp();
                var (run, better) = lane.Run(ref _rngs[l], leg, idleLimit: long.MaxValue, () => stop(lane.State));
                rounds[l] += run;
                improved[l] += better;
                if (l == count - 1)
                {
                    _ruinLegTime = Stopwatch.GetElapsedTime(started);
                }
            });

            legs++;
            best = 0;
            for (int l = 1; l < count; l++)
            {
                if (_lanes[l].State.Energy < _lanes[best].State.Energy)
                {
                    best = l;
                }
            }

            if (rounds[best] >= perLane || stop(_lanes[best].State))
            {
                break;
            }

            var plan = _lanes[best].State.Assignment;
            for (int l = 0; l < count; l++)
            {
                if (l != best)
                {
                    _lanes[l].State.Reset(plan);
                    _lanes[l].Rebase();
                }
            }
        }

        return (_lanes[best].State, rounds.Sum(), improved.Sum());
    }

    /// <summary>
    /// Lane 0's exact leg: node sets for <paramref name="legTime"/>, as long as the last leg of rounds took (under a
    /// time budget), or, under a step budget (no leg time), until the leg's rounds are spent at
    /// <see cref="RoundsPerExactSet"/> a set; never past <paramref name="stop"/>, and under a time budget no solve
    /// longer than the phase has left. Returns lane 0's rounds and improvements with the leg's added.
    /// </summary>
    private (long Rounds, long Improved) ExactLeg(long leg, TimeSpan? legTime, Func<TimeSpan?>? timeLeft, long rounds, long improved, Func<bool> stop)
    {
        long sets = legTime is null ? Math.Max(1, leg / RoundsPerExactSet) : long.MaxValue;
        long started = Stopwatch.GetTimestamp();
        double SecondsLeft() => timeLeft?.Invoke()?.TotalSeconds ?? double.PositiveInfinity;
        double? SecondsForNextSet() => legTime is null ? null : Math.Min(SecondsPerExactSet, SecondsLeft());
        var (solved, better) = _exact!.Run(ref _exactRng, sets, SecondsForNextSet,
            () => stop() || Stopwatch.GetElapsedTime(started) >= legTime || SecondsLeft() < MinSecondsPerExactSet);
        _lanes[0].Rebase();
        ExactSets += solved;
        return (rounds + (solved * RoundsPerExactSet), improved + better);
    }
}
