using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Managed;

/// <summary>
/// Ruin and recreate in several lanes at once, one per chain, so the phase uses every core the chains used. Each lane
/// runs its own rounds from its own random stream for a leg of <see cref="RoundsPerLeg"/> rounds; after a leg every
/// lane starts again from the best plan any of them holds. A round's outcome depends on the path behind it (on a1_4
/// the same plan, rounded on for 24 s from three seeds, ended 5 M apart), and the legs keep the luckiest path.
/// <para>
/// Legs are counted in rounds, not seconds, and ties go to the lowest lane, so under a step budget the plan does not
/// depend on the thread count or the timing.
/// </para>
/// </summary>
internal sealed class RuinLanes
{
    /// <summary>Rounds each lane runs between restarts from the best: one to two seconds on the ROADEF A instances.</summary>
    public const int RoundsPerLeg = 25_000;

    /// <summary>Lanes at most: a fixed cap rather than the core count, so a step budget's plan stays the same on any machine.</summary>
    public const int MaxLanes = 16;

    private readonly RuinRecreate[] _lanes;
    private readonly CounterRng[] _rngs;
    private readonly ParallelOptions _parallel;
    private readonly int _roundsPerLeg;

    /// <summary>
    /// <paramref name="first"/> becomes lane 0; the other lanes get states of their own. Every lane starts from
    /// <paramref name="start"/>.
    /// </summary>
    public RuinLanes(FlatProblem problem, SearchState first, ReadOnlySpan<int> start, int lanes, ulong seed, int threads, int roundsPerLeg = RoundsPerLeg)
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
    }

    /// <summary>
    /// Runs legs until <paramref name="roundLimit"/> rounds in all are run or <paramref name="stop"/> says so for the
    /// best lane. Returns the state holding the best plan (exact), the rounds run and the rounds that lowered a lane's
    /// energy.
    /// </summary>
    public (SearchState Best, long Rounds, long Improved) Run(long roundLimit, Func<SearchState, bool> stop)
    {
        int count = _lanes.Length;
        long perLane = roundLimit == long.MaxValue ? long.MaxValue : Math.Max(1, roundLimit / count);
        var rounds = new long[count];
        var improved = new long[count];
        int best = 0;
        while (true)
        {
            Parallel.For(0, count, _parallel, l =>
            {
                var lane = _lanes[l];
                long leg = Math.Min(_roundsPerLeg, perLane - rounds[l]);
                var (run, better) = lane.Run(ref _rngs[l], leg, idleLimit: long.MaxValue, () => stop(lane.State));
                rounds[l] += run;
                improved[l] += better;
            });

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
}
