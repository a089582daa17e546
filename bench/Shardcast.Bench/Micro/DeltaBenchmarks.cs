using BenchmarkDotNet.Attributes;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Bench.Micro;

/// <summary>One move's and one swap's delta on generated clusters; nothing may allocate.</summary>
[MemoryDiagnoser]
public class DeltaBenchmarks
{
    private const int Batch = 1024;
    private SearchState _state = null!;
    private int[] _partitions = null!;
    private int[] _nodes = null!;

    [Params("10k/100/12/2", "100k/1000/12/4")]
    public string Size { get; set; } = "10k/100/12/2";

    [GlobalSetup]
    public void Setup()
    {
        var (p, n, h, r) = BenchProblems.ParseSize(Size);
        var (_, problem) = BenchProblems.Create(p, n, h, r);
        _state = new SearchState(problem);
        _state.Reset(problem.Initial);
        var rng = new CounterRng(3, 3);
        _partitions = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(problem.Partitions)).ToArray();
        _nodes = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(problem.Nodes)).ToArray();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public float MoveDelta()
    {
        float sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            sum += _state.MoveDelta(_partitions[i], _nodes[i]);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public float SwapDelta()
    {
        float sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            sum += _state.SwapDelta(_partitions[i], _partitions[(i + 1) % Batch]);
        }

        return sum;
    }
}
