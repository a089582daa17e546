using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Kernels.Problem;

namespace Shardcast.Bench;

/// <summary>Generated clusters of the sizes the benchmarks name, flattened once.</summary>
internal static class BenchProblems
{
    public static (PlanningInput Input, FlatProblem Problem) Create(int partitions, int nodes, int steps, int resources, ulong seed = 1)
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(partitions, nodes, steps, resources, seed));
        var input = PlanningInput.From(spec);
        return (input, ProblemBuilder.Build(input));
    }

    /// <summary>Parses "10k/100/12/2" style sizes.</summary>
    public static (int P, int N, int H, int R) ParseSize(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 4)
        {
            throw new ArgumentException($"expected P/N/H/R such as 10k/100/12/2, found '{text}'");
        }

        static int Number(string s) => s.EndsWith('k') ? int.Parse(s[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1000 : int.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
        return (Number(parts[0]), Number(parts[1]), Number(parts[2]), Number(parts[3]));
    }
}
