using System.Text;
using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Cuda;

/// <summary>
/// The first CUDA device, its primary context, and the kernel source as PTX for its compute capability
/// (<see cref="CudaPtx"/>: compiled by NVRTC, or from the cache a previous process left). Built once per process;
/// searches take <see cref="Gate"/>. Every call first makes the context current, because searches run on
/// whichever thread the caller's pool gives them.
/// </summary>
internal sealed unsafe class CudaRuntime : IDeviceRuntime, IDisposable
{
    /// <summary>Threads per block: one chain each.</summary>
    private const int BlockSize = 128;

    private static readonly SharedRuntime<CudaRuntime> Instance = new(Create, e => e switch
    {
        DllNotFoundException => $"{NativeLibraries.Cuda} not found (no NVIDIA driver on this machine)",
        NativeCallException or EntryPointNotFoundException => e.Message,
        _ => null,
    });

    private readonly int _device;
    private readonly nint _context;
    private readonly CudaModule _module;

    private CudaRuntime(int device, nint context, CudaModule module, string name, int computeUnits, long memory, string compiledWith)
    {
        _device = device;
        _context = context;
        _module = module;
        DeviceName = name;
        ComputeUnits = computeUnits;
        GlobalMemory = memory;
        CompiledWith = compiledWith;
    }

    public string Backend => "cuda";

    public string DeviceName { get; }

    public bool IsGpu => true;

    public int ComputeUnits { get; }

    public long GlobalMemory { get; }

    public long MaxAllocation => GlobalMemory;

    /// <summary>How the module was obtained: the NVRTC path and options, or the PTX cache file.</summary>
    public string CompiledWith { get; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The shared runtime; the first failure (no driver, no device, no NVRTC, a compile error) is remembered and rethrown.</summary>
    public static CudaRuntime Shared => Instance.Value;

    private static CudaRuntime Create()
    {
        CudaNative.Check(CudaNative.Init(0), "cuInit");
        CudaNative.Check(CudaNative.DeviceGetCount(out int count), "cuDeviceGetCount");
        if (count == 0)
        {
            throw new NativeCallException("the CUDA driver reports no device");
        }

        CudaNative.Check(CudaNative.DeviceGet(out int device, 0), "cuDeviceGet");
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int major, CudaNative.AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute(major)");
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int minor, CudaNative.AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute(minor)");
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int multiprocessors, CudaNative.AttributeMultiprocessorCount, device), "cuDeviceGetAttribute(multiprocessors)");
        CudaNative.Check(CudaNative.DeviceTotalMem(out nuint memory, device), "cuDeviceTotalMem");
        var name = new byte[256];
        fixed (byte* n = name)
        {
            CudaNative.Check(CudaNative.DeviceGetName(n, name.Length, device), "cuDeviceGetName");
        }

        CudaNative.Check(CudaNative.DevicePrimaryCtxRetain(out nint context, device), "cuDevicePrimaryCtxRetain");
        CudaNative.Check(CudaNative.CtxSetCurrent(context), "cuCtxSetCurrent");
        var (ptx, compiledWith) = CudaPtx.Obtain(major * 10 + minor, CudaPtx.DefaultCacheFolder);
        nint module;
        fixed (byte* image = ptx)
        {
            CudaNative.Check(CudaNative.ModuleLoadData(out module, image), "cuModuleLoadData");
        }

        int end = Array.IndexOf(name, (byte)0);
        return new CudaRuntime(device, context, new CudaModule(module, context), Encoding.UTF8.GetString(name, 0, end < 0 ? name.Length : end) + $" (sm_{major}{minor})",
            multiprocessors, (long)memory, compiledWith);
    }

    private void MakeCurrent() => CudaNative.Check(CudaNative.CtxSetCurrent(_context), "cuCtxSetCurrent");

    public DeviceBuffer Allocate(long bytes, bool readOnly, string what)
    {
        MakeCurrent();
        long size = Math.Max(bytes, 8);
        CudaNative.Check(CudaNative.MemAlloc(out ulong pointer, (nuint)size), $"cuMemAlloc({what}, {size:N0} bytes)");
        return new CudaBuffer(new CudaMemory(pointer, _context), size);
    }

    public void Write<T>(DeviceBuffer buffer, ReadOnlySpan<T> data, long offsetElements = 0)
        where T : unmanaged
    {
        if (data.IsEmpty)
        {
            return;
        }

        MakeCurrent();
        fixed (T* source = data)
        {
            CudaNative.Check(CudaNative.MemcpyHtoD(Pointer(buffer) + (ulong)(offsetElements * sizeof(T)), source, (nuint)(data.Length * sizeof(T))), "cuMemcpyHtoD");
        }
    }

    public void Read<T>(DeviceBuffer buffer, Span<T> destination, long offsetElements = 0)
        where T : unmanaged
    {
        if (destination.IsEmpty)
        {
            return;
        }

        MakeCurrent();
        fixed (T* target = destination)
        {
            CudaNative.Check(CudaNative.MemcpyDtoH(target, Pointer(buffer) + (ulong)(offsetElements * sizeof(T)), (nuint)(destination.Length * sizeof(T))), "cuMemcpyDtoH");
        }
    }

    public DeviceKernel Bind(string name, IReadOnlyList<DeviceBuffer> buffers)
    {
        MakeCurrent();
        byte[] bytes = Encoding.ASCII.GetBytes(name + "\0");
        nint function;
        fixed (byte* n = bytes)
        {
            CudaNative.Check(CudaNative.ModuleGetFunction(out function, _module.DangerousGetHandle(), n), $"cuModuleGetFunction({name})");
        }

        return new CudaKernel(name, function, [.. buffers.Select(Pointer)]);
    }

    public void Launch(DeviceKernel kernel, long workItems, ReadOnlySpan<int> scalars)
    {
        var bound = (CudaKernel)kernel;
        MakeCurrent();
        int count = bound.Pointers.Length + scalars.Length;
        var values = stackalloc ulong[count];
        var parameters = stackalloc void*[count];
        for (int i = 0; i < bound.Pointers.Length; i++)
        {
            values[i] = bound.Pointers[i];
            parameters[i] = &values[i];
        }

        for (int i = 0; i < scalars.Length; i++)
        {
            // An int argument is read from the first four bytes of its slot.
            *(int*)&values[bound.Pointers.Length + i] = scalars[i];
            parameters[bound.Pointers.Length + i] = &values[bound.Pointers.Length + i];
        }

        uint blocks = (uint)((workItems + BlockSize - 1) / BlockSize);
        CudaNative.Check(CudaNative.LaunchKernel(bound.Function, blocks, 1, 1, BlockSize, 1, 1, 0, 0, parameters, null), $"cuLaunchKernel({kernel.Name})");
        CudaNative.Check(CudaNative.CtxSynchronize(), $"cuCtxSynchronize({kernel.Name})");
    }

    private static ulong Pointer(DeviceBuffer buffer) => ((CudaBuffer)buffer).Memory.Pointer;

    public void Dispose()
    {
        _module.Dispose();
        CudaNative.DevicePrimaryCtxRelease(_device);
        Gate.Dispose();
    }
}

internal sealed class CudaBuffer : DeviceBuffer
{
    public CudaBuffer(CudaMemory memory, long bytes)
    {
        Memory = memory;
        Bytes = bytes;
    }

    public CudaMemory Memory { get; }

    public override void Dispose() => Memory.Dispose();
}

/// <summary>A function of the module with its buffers' device pointers; int arguments are added per launch.</summary>
internal sealed class CudaKernel(string name, nint function, ulong[] pointers) : DeviceKernel(name)
{
    public nint Function { get; } = function;

    public ulong[] Pointers { get; } = pointers;

    /// <summary>Functions belong to the module; nothing to release.</summary>
    public override void Dispose()
    {
    }
}
