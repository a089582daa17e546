namespace Shardcast.Kernels.Device;

/// <summary>
/// What the device chain set needs of a compute API (OpenCL, CUDA): memory, copies, kernels compiled from the one
/// source, launches of one work-item per chain. Each implementation checks every status and names the failing call.
/// </summary>
internal interface IDeviceRuntime
{
    /// <summary>The backend's name: "opencl" or "cuda".</summary>
    string Backend { get; }

    string DeviceName { get; }

    bool IsGpu { get; }

    int ComputeUnits { get; }

    long GlobalMemory { get; }

    long MaxAllocation { get; }

    /// <summary>One search at a time per device: searches queue here.</summary>
    SemaphoreSlim Gate { get; }

    DeviceBuffer Allocate(long bytes, bool readOnly, string what);

    void Write<T>(DeviceBuffer buffer, ReadOnlySpan<T> data, long offsetElements = 0)
        where T : unmanaged;

    void Read<T>(DeviceBuffer buffer, Span<T> destination, long offsetElements = 0)
        where T : unmanaged;

    /// <summary>A kernel of the source with its buffer arguments bound, in order.</summary>
    DeviceKernel Bind(string name, IReadOnlyList<DeviceBuffer> buffers);

    /// <summary>Runs the kernel over <paramref name="workItems"/> work-items (one per chain) and waits for it; <paramref name="scalars"/> are its int arguments after the buffers.</summary>
    void Launch(DeviceKernel kernel, long workItems, ReadOnlySpan<int> scalars);
}

/// <summary>Device memory, released on dispose.</summary>
internal abstract class DeviceBuffer : IDisposable
{
    public long Bytes { get; protected init; }

    public abstract void Dispose();
}

/// <summary>A kernel with its buffer arguments bound.</summary>
internal abstract class DeviceKernel(string name) : IDisposable
{
    public string Name { get; } = name;

    public abstract void Dispose();
}
