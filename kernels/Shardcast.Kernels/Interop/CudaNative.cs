using System.Runtime.InteropServices;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Interop;

/// <summary>
/// The CUDA driver API calls Shardcast uses (libcuda.so.1, through the resolver in <see cref="NativeLibraries"/>), and
/// the one status check: a failure becomes a <see cref="NativeCallException"/> naming the call and the driver's
/// name for the status (cuGetErrorName).
/// </summary>
internal static unsafe partial class CudaNative
{
    private const string Library = "cuda";

    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;

    static CudaNative() => NativeLibraries.Register(typeof(CudaNative).Assembly);

    public static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new NativeCallException($"{call} failed with {ErrorName(status)} ({status})");
        }
    }

    private static string ErrorName(int status)
    {
        byte* name = null;
        return GetErrorName(status, &name) == 0 && name is not null ? Marshal.PtrToStringUTF8((nint)name) ?? "CUDA status" : "CUDA status";
    }

    [LibraryImport(Library, EntryPoint = "cuGetErrorName")]
    private static partial int GetErrorName(int status, byte** name);

    [LibraryImport(Library, EntryPoint = "cuInit")]
    public static partial int Init(uint flags);

    [LibraryImport(Library, EntryPoint = "cuDriverGetVersion")]
    public static partial int DriverGetVersion(out int version);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetCount")]
    public static partial int DeviceGetCount(out int count);

    [LibraryImport(Library, EntryPoint = "cuDeviceGet")]
    public static partial int DeviceGet(out int device, int ordinal);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetName")]
    public static partial int DeviceGetName(byte* name, int length, int device);

    [LibraryImport(Library, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial int DeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(Library, EntryPoint = "cuDeviceGetAttribute")]
    public static partial int DeviceGetAttribute(out int value, int attribute, int device);

    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRetain")]
    public static partial int DevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial int DevicePrimaryCtxRelease(int device);

    [LibraryImport(Library, EntryPoint = "cuCtxSetCurrent")]
    public static partial int CtxSetCurrent(nint context);

    [LibraryImport(Library, EntryPoint = "cuCtxSynchronize")]
    public static partial int CtxSynchronize();

    [LibraryImport(Library, EntryPoint = "cuModuleLoadData")]
    public static partial int ModuleLoadData(out nint module, byte* image);

    [LibraryImport(Library, EntryPoint = "cuModuleUnload")]
    public static partial int ModuleUnload(nint module);

    [LibraryImport(Library, EntryPoint = "cuModuleGetFunction")]
    public static partial int ModuleGetFunction(out nint function, nint module, byte* name);

    [LibraryImport(Library, EntryPoint = "cuMemAlloc_v2")]
    public static partial int MemAlloc(out ulong pointer, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuMemFree_v2")]
    public static partial int MemFree(ulong pointer);

    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoD_v2")]
    public static partial int MemcpyHtoD(ulong destination, void* source, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoH_v2")]
    public static partial int MemcpyDtoH(void* destination, ulong source, nuint bytes);

    [LibraryImport(Library, EntryPoint = "cuLaunchKernel")]
    public static partial int LaunchKernel(
        nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemoryBytes, nint stream, void** parameters, void** extra);
}

/// <summary>
/// Device memory from cuMemAlloc, freed with the runtime's context made current (a finaliser thread has none).
/// The device pointer is kept as the handle value (64-bit on every platform CUDA supports).
/// </summary>
internal sealed class CudaMemory : SafeHandle
{
    private readonly nint _context;

    public CudaMemory(ulong pointer, nint context)
        : base(0, true)
    {
        SetHandle((nint)pointer);
        _context = context;
    }

    public ulong Pointer => (ulong)handle;

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaNative.CtxSetCurrent(_context) == 0 && CudaNative.MemFree((ulong)handle) == 0;
}

/// <summary>A loaded module (the compiled kernel source); unloading it invalidates its functions.</summary>
internal sealed class CudaModule : SafeHandle
{
    private readonly nint _context;

    public CudaModule(nint module, nint context)
        : base(0, true)
    {
        SetHandle(module);
        _context = context;
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaNative.CtxSetCurrent(_context) == 0 && CudaNative.ModuleUnload(handle) == 0;
}
