using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Interop;

/// <summary>
/// The OpenCL 1.2 calls the search backend uses, through libOpenCL.so.1 (the ICD loader), and the one status check:
/// every failure becomes a <see cref="NativeCallException"/> naming the call and the status.
/// </summary>
internal static unsafe partial class OpenClNative
{
    private const string Library = "OpenCL";

    public const ulong DeviceTypeAll = 0xFFFFFFFF;
    public const ulong MemReadWrite = 1 << 0;
    public const ulong MemReadOnly = 1 << 2;
    public const uint ProgramBuildLog = 0x1183;
    public const int PlatformNotFound = -1001;
    public const int DeviceNotFound = -1;
    public const uint PlatformName = 0x0902;
    public const uint PlatformVendor = 0x0903;
    public const uint PlatformVersion = 0x0901;
    public const uint DeviceType = 0x1000;
    public const uint DeviceMaxComputeUnits = 0x1002;
    public const uint DeviceMaxWorkGroupSize = 0x1004;
    public const uint DeviceMaxMemAllocSize = 0x1010;
    public const uint DeviceGlobalMemSize = 0x101F;
    public const uint DeviceName = 0x102B;
    public const uint DeviceVersion = 0x102F;

    static OpenClNative() => NativeLibraries.Register(typeof(OpenClNative).Assembly);

    public static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new NativeCallException($"{call} failed with {StatusName(status)} ({status})");
        }
    }

    public static string StatusName(int status) => status switch
    {
        -1 => "CL_DEVICE_NOT_FOUND",
        -2 => "CL_DEVICE_NOT_AVAILABLE",
        -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5 => "CL_OUT_OF_RESOURCES",
        -6 => "CL_OUT_OF_HOST_MEMORY",
        -11 => "CL_BUILD_PROGRAM_FAILURE",
        -30 => "CL_INVALID_VALUE",
        -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT",
        -36 => "CL_INVALID_COMMAND_QUEUE",
        -38 => "CL_INVALID_MEM_OBJECT",
        -44 => "CL_INVALID_PROGRAM",
        -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME",
        -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX",
        -50 => "CL_INVALID_ARG_VALUE",
        -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS",
        -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -61 => "CL_INVALID_BUFFER_SIZE",
        -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "OpenCL status",
    };

    [LibraryImport(Library, EntryPoint = "clGetPlatformIDs")]
    public static partial int GetPlatformIds(uint entries, [Out] nint[]? platforms, ref uint count);

    [LibraryImport(Library, EntryPoint = "clGetPlatformInfo")]
    public static partial int GetPlatformInfo(nint platform, uint parameter, nuint size, void* value, nuint* sizeReturned);

    [LibraryImport(Library, EntryPoint = "clGetDeviceIDs")]
    public static partial int GetDeviceIds(nint platform, ulong type, uint entries, [Out] nint[]? devices, ref uint count);

    [LibraryImport(Library, EntryPoint = "clGetDeviceInfo")]
    public static partial int GetDeviceInfo(nint device, uint parameter, nuint size, void* value, nuint* sizeReturned);

    [LibraryImport(Library, EntryPoint = "clCreateContext")]
    public static partial nint CreateContext(nint* properties, uint deviceCount, nint* devices, nint notify, nint userData, out int status);

    [LibraryImport(Library, EntryPoint = "clCreateCommandQueue")]
    public static partial nint CreateCommandQueue(ClContext context, nint device, ulong properties, out int status);

    [LibraryImport(Library, EntryPoint = "clCreateProgramWithSource")]
    public static partial nint CreateProgramWithSource(ClContext context, uint count, byte** strings, nuint* lengths, out int status);

    [LibraryImport(Library, EntryPoint = "clBuildProgram")]
    public static partial int BuildProgram(ClProgram program, uint deviceCount, nint* devices, byte* options, nint notify, nint userData);

    [LibraryImport(Library, EntryPoint = "clGetProgramBuildInfo")]
    public static partial int GetProgramBuildInfo(ClProgram program, nint device, uint parameter, nuint size, void* value, nuint* sizeReturned);

    [LibraryImport(Library, EntryPoint = "clCreateKernel")]
    public static partial nint CreateKernel(ClProgram program, byte* name, out int status);

    [LibraryImport(Library, EntryPoint = "clSetKernelArg")]
    public static partial int SetKernelArg(ClKernel kernel, uint index, nuint size, void* value);

    [LibraryImport(Library, EntryPoint = "clCreateBuffer")]
    public static partial nint CreateBuffer(ClContext context, ulong flags, nuint size, void* hostPointer, out int status);

    [LibraryImport(Library, EntryPoint = "clEnqueueWriteBuffer")]
    public static partial int EnqueueWriteBuffer(ClQueue queue, ClBuffer buffer, uint blocking, nuint offset, nuint size, void* source, uint events, nint* waitList, nint* evt);

    [LibraryImport(Library, EntryPoint = "clEnqueueReadBuffer")]
    public static partial int EnqueueReadBuffer(ClQueue queue, ClBuffer buffer, uint blocking, nuint offset, nuint size, void* destination, uint events, nint* waitList, nint* evt);

    [LibraryImport(Library, EntryPoint = "clEnqueueNDRangeKernel")]
    public static partial int EnqueueNdRangeKernel(ClQueue queue, ClKernel kernel, uint dimensions, nuint* offset, nuint* globalSize, nuint* localSize, uint events, nint* waitList, nint* evt);

    [LibraryImport(Library, EntryPoint = "clFinish")]
    public static partial int Finish(ClQueue queue);

    [LibraryImport(Library, EntryPoint = "clReleaseContext")]
    public static partial int ReleaseContext(nint context);

    [LibraryImport(Library, EntryPoint = "clReleaseCommandQueue")]
    public static partial int ReleaseCommandQueue(nint queue);

    [LibraryImport(Library, EntryPoint = "clReleaseProgram")]
    public static partial int ReleaseProgram(nint program);

    [LibraryImport(Library, EntryPoint = "clReleaseKernel")]
    public static partial int ReleaseKernel(nint kernel);

    [LibraryImport(Library, EntryPoint = "clReleaseMemObject")]
    public static partial int ReleaseMemObject(nint buffer);

    public static string PlatformInfoString(nint platform, uint parameter) => InfoString(&GetPlatformInfo, platform, parameter, "clGetPlatformInfo");

    public static string DeviceInfoString(nint device, uint parameter) => InfoString(&GetDeviceInfo, device, parameter, "clGetDeviceInfo");

    /// <summary>A string property through one of the clGet*Info calls, which share their shape: ask the size, then read.</summary>
    private static string InfoString(delegate*<nint, uint, nuint, void*, nuint*, int> query, nint handle, uint parameter, string call)
    {
        nuint size = 0;
        Check(query(handle, parameter, 0, null, &size), call);
        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
        {
            Check(query(handle, parameter, size, b, null), call);
        }

        return System.Text.Encoding.UTF8.GetString(buffer).TrimEnd('\0').Trim();
    }

    public static T DeviceInfo<T>(nint device, uint parameter)
        where T : unmanaged
    {
        T value = default;
        Check(GetDeviceInfo(device, parameter, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }

    /// <summary>Wraps a handle a create call returned, checking its status first.</summary>
    public static T Own<T>(nint handle, int status, string call)
        where T : SafeHandleZeroOrMinusOneIsInvalid, new()
    {
        Check(status, call);
        if (handle == 0)
        {
            throw new NativeCallException($"{call} returned no object");
        }

        var owned = new T();
        Marshal.InitHandle(owned, handle);
        return owned;
    }
}

internal sealed class ClContext() : SafeHandleZeroOrMinusOneIsInvalid(true)
{
    protected override bool ReleaseHandle() => OpenClNative.ReleaseContext(handle) == 0;
}

internal sealed class ClQueue() : SafeHandleZeroOrMinusOneIsInvalid(true)
{
    protected override bool ReleaseHandle() => OpenClNative.ReleaseCommandQueue(handle) == 0;
}

internal sealed class ClProgram() : SafeHandleZeroOrMinusOneIsInvalid(true)
{
    protected override bool ReleaseHandle() => OpenClNative.ReleaseProgram(handle) == 0;
}

internal sealed class ClKernel() : SafeHandleZeroOrMinusOneIsInvalid(true)
{
    protected override bool ReleaseHandle() => OpenClNative.ReleaseKernel(handle) == 0;
}

internal sealed class ClBuffer() : SafeHandleZeroOrMinusOneIsInvalid(true)
{
    protected override bool ReleaseHandle() => OpenClNative.ReleaseMemObject(handle) == 0;
}
