using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;
using Shardcast.Kernels.Search;

namespace Shardcast.Kernels.Device;

/// <summary>
/// The memetic genetic algorithm of <see cref="GeneticSearch"/> with its population on the device: crossover,
/// mutation, repair and the zero-temperature improvement of every child run as kernels, one work-item per
/// individual; the host only steers (ranks by energy, keeps the elites' slots, draws the tournaments).
/// </summary>
internal static class DeviceGeneticSearch
{
    private const int Elite = 2;
    private const int MutationMoves = 8;

    public static SearchResult Run(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, string backend, DeviceChainSet population, CancellationToken cancellationToken)
    {
        var clock = new SearchClock(options);
        int size = population.Count;
        int localSteps = options.StepsPerEpoch;
        population.Start(start);

        // The first population: the start itself (repaired and improved), then mutants of it.
        var mutations = new int[size];
        for (int i = 1; i < size; i++)
        {
            mutations[i] = MutationMoves * 4;
        }

        population.MutateAndRepair(mutations);
        population.Improve(mutations, localSteps);
        var energies = Energies(population);
        int[] best = new int[problem.Partitions];
        double bestEnergy = Record(population, energies, best, double.PositiveInfinity, clock);
        long steps = localSteps;
        int generation = 0;
        var parents = new int[size * 2];
        while (!clock.ShouldStop(steps, bestEnergy, cancellationToken))
        {
            generation++;
            int[] ranked = Enumerable.Range(0, size).OrderBy(i => energies[i]).ThenBy(i => i).ToArray();
            for (int r = 0; r < size; r++)
            {
                int slot = ranked[r];
                if (r < Elite)
                {
                    mutations[slot] = -1;
                    continue;
                }

                var rng = new CounterRng(options.Seed, ((ulong)generation << 20) + (ulong)slot);
                parents[slot * 2] = Tournament(energies, ref rng);
                parents[(slot * 2) + 1] = Tournament(energies, ref rng);
                mutations[slot] = MutationMoves;
            }

            population.Breed(parents, mutations);
            population.Improve(mutations, localSteps);
            energies = Energies(population);
            bestEnergy = Record(population, energies, best, bestEnergy, clock);
            steps += localSteps;
        }

        var (evaluated, accepted) = population.Totals();
        return ParallelAnnealer.Finish(problem, best, backend, SearchAlgorithm.Genetic, new SearchStatistics(evaluated, accepted, generation, clock.Elapsed), clock.Trace);
    }

    private static double[] Energies(DeviceChainSet population) => [.. Enumerable.Range(0, population.Count).Select(population.Energy)];

    private static double Record(DeviceChainSet population, double[] energies, int[] best, double bestEnergy, SearchClock clock)
    {
        int leader = Array.IndexOf(energies, energies.Min());
        if (energies[leader] < bestEnergy)
        {
            bestEnergy = energies[leader];
            population.CopyAssignment(leader, best);
        }

        clock.Record(bestEnergy);
        return bestEnergy;
    }

    private static int Tournament(double[] energies, ref CounterRng rng)
    {
        int a = rng.NextInt(energies.Length);
        int b = rng.NextInt(energies.Length);
        return energies[a] <= energies[b] ? a : b;
    }
}
