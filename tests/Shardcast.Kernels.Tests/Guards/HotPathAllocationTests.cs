using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Tests.Guards;

/// <summary>
/// The figures that are promises, guarded on every CI run: the search's hot paths allocate nothing once warm, counted
/// exactly (allocation counts do not depend on the machine's speed or load, so the check survives a noisy 2-core
/// machine). docs/benchmarks.md has the times; a delta or an annealing step that allocated would fail here, e.g. a
/// LINQ call or a closure slipped into MoveDelta, or a per-step array in the chain's proposal loop.
/// </summary>
public class HotPathAllocationTests
{
    [Theory]
    [InlineData(400, 20, 12, 2)]
    [InlineData(333, 17, 7, 3)]
    public void MoveAndSwapDeltas_AllocateNothing(int partitions, int nodes, int steps, int resources)
    {
        var problem = RandomProblems.Create(11, partitions, nodes, steps, resources);
        var state = new SearchState(problem);
        state.Reset(problem.Initial);
        var rng = new CounterRng(5, 5);
        var moves = Enumerable.Range(0, 4096).Select(_ => (rng.NextInt(partitions), rng.NextInt(nodes))).ToArray();
        float sum = Deltas(state, moves);
        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Deltas(state, moves);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(float.IsFinite(sum));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void AnnealingSteps_AllocateNothing()
    {
        var problem = RandomProblems.Create(12, 500, 25, 12, 2);
        var state = new SearchState(problem);
        state.Reset(problem.Initial);
        var chain = new AnnealingChain(state, new MoveProposer(problem, ParallelAnnealer.Movable(problem)), 7, 0, swapShare: 0.3, biasShare: 0.6)
        {
            Temperature = 0.05,
        };
        chain.Run(20_000);
        long evaluated = chain.Evaluated;
        long before = GC.GetAllocatedBytesForCurrentThread();
        chain.Run(20_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(chain.Evaluated > evaluated, "the chain ran no step: the check would prove nothing");
        Assert.Equal(0, allocated);
    }

    private static float Deltas(SearchState state, (int Partition, int Node)[] moves)
    {
        float sum = 0;
        for (int i = 0; i < moves.Length; i++)
        {
            sum += state.MoveDelta(moves[i].Partition, moves[i].Node);
            sum += state.SwapDelta(moves[i].Partition, moves[(i + 1) % moves.Length].Partition);
        }

        return sum;
    }
}
