using Shardcast.Kernels.Problem;
using Shardcast.Kernels.Random;

namespace Shardcast.Kernels.Search;

/// <summary>
/// A memetic genetic algorithm over whole assignments. Crossover keeps node-level structure: a random half
/// of the nodes keep exactly the partitions parent A puts on them, the rest come from parent B. Each child
/// is mutated, repaired to the hard constraints and improved by a zero-temperature chain; the best
/// <see cref="Elite"/> individuals survive unchanged.
/// </summary>
internal static class GeneticSearch
{
    private const int Elite = 2;
    private const int MutationMoves = 8;

    private sealed class Worker(SearchState state, AnnealingChain chain)
    {
        public SearchState State { get; } = state;

        public AnnealingChain Chain { get; } = chain;
    }

    private sealed record Individual(int[] Assignment, double Energy);

    public static SearchResult Run(FlatProblem problem, ReadOnlySpan<int> start, SearchOptions options, string backend, CancellationToken cancellationToken)
    {
        var clock = new SearchClock(options);
        int[] movable = ParallelAnnealer.Movable(problem);
        var proposer = new MoveProposer(problem, movable);
        int size = options.Population;
        int children = size - Elite;
        var workers = new Worker[children];
        for (int i = 0; i < children; i++)
        {
            var state = new SearchState(problem);
            workers[i] = new Worker(state, new AnnealingChain(state, proposer, options.Seed, 1000 + i, options.SwapShare, options.BiasShare) { Temperature = 0 });
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.EffectiveThreads };
        int localSteps = options.StepsPerEpoch;
        int[] startCopy = start.ToArray();

        // The first population: the start itself, then mutants of it, all repaired and improved. There are more
        // individuals than workers, so some workers improve two, in whichever order the threads reach them; each
        // improvement reseeds the chain from the individual's own stream, so the order changes nothing.
        var population = new Individual[size];
        Parallel.For(0, size, parallel, i =>
        {
            var worker = workers[i % children];
            lock (worker)
            {
                var rng = new CounterRng(options.Seed, 0x9E0000UL + (ulong)i);
                worker.State.Reset(startCopy);
                if (i > 0)
                {
                    Mutate(worker.State, movable, MutationMoves * 4, ref rng);
                }

                population[i] = Improve(worker, options.Seed, localSteps, ref rng);
            }
        });
        Array.Sort(population, (a, b) => a.Energy.CompareTo(b.Energy));
        clock.Record(population[0].Energy);
        long steps = localSteps;
        int generation = 0;
        var offspring = new Individual[children];
        while (!clock.ShouldStop(steps, population[0].Energy, cancellationToken))
        {
            generation++;
            var parents = population;
            int g = generation;
            Parallel.For(0, children, parallel, i =>
            {
                var worker = workers[i];
                var rng = new CounterRng(options.Seed, ((ulong)g << 20) + (ulong)i);
                var a = Tournament(parents, ref rng);
                var b = Tournament(parents, ref rng);
                Crossover(worker.State, a.Assignment, b.Assignment, ref rng);
                Mutate(worker.State, movable, MutationMoves, ref rng);
                offspring[i] = Improve(worker, options.Seed, localSteps, ref rng);
            });

            var next = new Individual[size];
            Array.Copy(population, next, Elite);
            Array.Copy(offspring, 0, next, Elite, children);
            Array.Sort(next, (x, y) => x.Energy.CompareTo(y.Energy));
            population = next;
            steps += localSteps;
            clock.Record(population[0].Energy);
        }

        long evaluated = 0, accepted = 0;
        foreach (var w in workers)
        {
            evaluated += w.Chain.Evaluated;
            accepted += w.Chain.Accepted;
        }

        return ParallelAnnealer.Finish(problem, population[0].Assignment, backend, SearchAlgorithm.Genetic, new SearchStatistics(evaluated, accepted, generation, clock.Elapsed), clock.Trace);
    }

    private static Individual Tournament(Individual[] population, ref CounterRng rng)
    {
        var a = population[rng.NextInt(population.Length)];
        var b = population[rng.NextInt(population.Length)];
        return a.Energy <= b.Energy ? a : b;
    }

    private static void Crossover(SearchState child, int[] a, int[] b, ref CounterRng rng)
    {
        var problem = child.Problem;
        Span<ulong> fromA = problem.NodeWords <= 64 ? stackalloc ulong[problem.NodeWords] : new ulong[problem.NodeWords];
        for (int w = 0; w < fromA.Length; w++)
        {
            fromA[w] = rng.NextUInt64();
        }

        var assignment = child.Assignment;
        for (int p = 0; p < assignment.Length; p++)
        {
            int na = a[p];
            assignment[p] = (fromA[na >> 6] & (1UL << (na & 63))) != 0 ? na : b[p];
        }

        child.Resynchronise();
    }

    private static void Mutate(SearchState state, int[] movable, int moves, ref CounterRng rng)
    {
        if (movable.Length == 0)
        {
            return;
        }

        var problem = state.Problem;
        for (int i = 0, tries = 0; i < moves && tries < moves * 8; tries++)
        {
            int p = movable[rng.NextInt(movable.Length)];
            int m = rng.NextInt(problem.Nodes);
            if (m == state.Assignment[p] || !state.WithinBudget(p, m))
            {
                continue;
            }

            int dv = state.ViolationDelta(p, m);
            if (dv > 0)
            {
                continue;
            }

            state.ApplyMove(p, m, state.MoveDelta(p, m), dv);
            i++;
        }
    }

    private static Individual Improve(Worker worker, ulong seed, int steps, ref CounterRng rng)
    {
        worker.Chain.Reseed(seed, rng.NextUInt64());
        ConstraintRepair.Repair(worker.State, ref rng);
        worker.Chain.Run(steps);
        worker.State.Resynchronise();
        return new Individual(worker.State.Assignment.ToArray(), worker.State.Energy);
    }
}
