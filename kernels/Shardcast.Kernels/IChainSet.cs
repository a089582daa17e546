namespace Shardcast.Kernels;

/// <summary>
/// The annealing chains of one search, wherever they run (managed threads, an OpenCL or CUDA device). The host
/// side (<see cref="Managed.ParallelAnnealer"/>) only steers: it sets temperatures, runs epochs, reads energies
/// and acceptance, exchanges replicas by permuting temperatures, and copies out the best assignment.
/// </summary>
internal interface IChainSet : IDisposable
{
    int Count { get; }

    /// <summary>Starts every chain from this assignment (already repaired and warmed on the host).</summary>
    void Start(ReadOnlySpan<int> assignment);

    /// <summary>Runs every chain for <paramref name="steps"/> proposals, chain i at <paramref name="temperatures"/>[i]; uphill counts restart.</summary>
    void RunEpoch(ReadOnlySpan<double> temperatures, int steps);

    /// <summary>Recomputes every chain's derived state from its assignment, removing float drift.</summary>
    void Resynchronise();

    double Energy(int chain);

    (long Proposed, long Accepted) Uphill(int chain);

    void CopyAssignment(int chain, int[] destination);

    /// <summary>Proposals evaluated and applied by all chains so far.</summary>
    (long Evaluated, long Accepted) Totals();
}
