using System.Net;

namespace Shardcast.DataPlane.Store;

/// <summary>A store Shardcast started itself, and so can fault: its nodes can be killed as a crash would.</summary>
public interface IFaultableStore : IAsyncDisposable
{
    StoreCluster Store { get; }

    IReadOnlyList<IPEndPoint> EndPoints { get; }

    /// <summary>Stops node i at once: what it held in memory is gone, its port refuses connections.</summary>
    void Kill(int node);

    /// <summary>Whether a node can be hung (stopped without dying: it accepts connections and answers nothing).</summary>
    bool CanHang { get; }

    /// <summary>Hangs node i (SIGSTOP for a process).</summary>
    void Hang(int node);

    /// <summary>Lets a hung node go on (SIGCONT), with everything it held.</summary>
    void Resume(int node);
}
