using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Managed;

/// <summary>Annealing chains on managed threads: one <see cref="AnnealingChain"/> per replica, an epoch is a Parallel.For.</summary>
internal sealed class ManagedChainSet : IChainSet
{
    private readonly AnnealingChain[] _chains;
    private readonly ParallelOptions _parallel;

    public ManagedChainSet(FlatProblem problem, int[] movable, SearchOptions options, int count)
    {
        var proposer = new MoveProposer(problem, movable);
        _chains = new AnnealingChain[count];
        for (int i = 0; i < count; i++)
        {
            _chains[i] = new AnnealingChain(new SearchState(problem), proposer, options.Seed, i, options.SwapShare, options.BiasShare);
        }

        _parallel = new ParallelOptions { MaxDegreeOfParallelism = options.EffectiveThreads };
    }

    public int Count => _chains.Length;

    public void Start(ReadOnlySpan<int> assignment)
    {
        foreach (var chain in _chains)
        {
            chain.State.Reset(assignment);
        }
    }

    public void RunEpoch(ReadOnlySpan<double> temperatures, int steps)
    {
        for (int i = 0; i < _chains.Length; i++)
        {
            _chains[i].Temperature = temperatures[i];
            _chains[i].ResetUphillCounts();
        }

        Parallel.For(0, _chains.Length, _parallel, i => _chains[i].Run(steps));
    }

    public void Resynchronise() => Parallel.For(0, _chains.Length, _parallel, i => _chains[i].State.Resynchronise());

    public double Energy(int chain) => _chains[chain].State.Energy;

    public (long Proposed, long Accepted) Uphill(int chain) => (_chains[chain].UphillProposed, _chains[chain].UphillAccepted);

    public void CopyAssignment(int chain, int[] destination) => _chains[chain].State.Assignment.CopyTo(destination, 0);

    public (long Evaluated, long Accepted) Totals()
    {
        long evaluated = 0, accepted = 0;
        foreach (var chain in _chains)
        {
            evaluated += chain.Evaluated;
            accepted += chain.Accepted;
        }

        return (evaluated, accepted);
    }

    public void Dispose()
    {
    }
}
