using System.Text;
using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.OpenCl;

/// <summary>
/// One OpenCL device with its context, queue and the kernel source compiled for it. The first device found wins,
/// GPUs before anything else (on a machine without a GPU that is PoCL on the CPU). Built once per process and
/// shared; searches take <see cref="Gate"/> so one queue serves one search at a time.
/// </summary>
internal sealed unsafe class OpenClRuntime : IDeviceRuntime, IDisposable
{
    private const string BuildOptions = "-cl-std=CL1.2";

    private static readonly SharedRuntime<OpenClRuntime> Instance = new(Create, e => e switch
    {
        NativeCallException or EntryPointNotFoundException => e.Message,
        _ => null,
    });

    private OpenClRuntime(nint device, string name, bool isGpu, int computeUnits, long globalMemory, long maxAllocation, ClContext context, ClQueue queue, ClProgram program)
    {
        DeviceId = device;
        DeviceName = name;
        IsGpu = isGpu;
        ComputeUnits = computeUnits;
        GlobalMemory = globalMemory;
        MaxAllocation = maxAllocation;
        Context = context;
        Queue = queue;
        Program = program;
    }

    public string Backend => "opencl";

    public nint DeviceId { get; }

    public string DeviceName { get; }

    public bool IsGpu { get; }

    public int ComputeUnits { get; }

    public long GlobalMemory { get; }

    public long MaxAllocation { get; }

    public ClContext Context { get; }

    public ClQueue Queue { get; }

    public ClProgram Program { get; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The shared runtime; the first failure (no library, no device, compile error) is remembered and rethrown.</summary>
    public static OpenClRuntime Shared => Instance.Value;

    private static OpenClRuntime Create()
    {
        var devices = OpenClInventory.Shared.Devices;
        var device = devices.FirstOrDefault(d => d.IsGpu) ?? devices.FirstOrDefault() ?? throw new NativeCallException("OpenCL platforms found, but no device");
        nint id = device.Id;
        var context = OpenClNative.Own<ClContext>(OpenClNative.CreateContext(null, 1, &id, 0, 0, out int status), status, "clCreateContext");
        var queue = OpenClNative.Own<ClQueue>(OpenClNative.CreateCommandQueue(context, id, 0, out status), status, "clCreateCommandQueue");
        var program = Build(context, id);
        return new OpenClRuntime(id, device.Name, device.IsGpu, device.ComputeUnits, device.GlobalMemory, device.MaxAllocation, context, queue, program);
    }

    private static ClProgram Build(ClContext context, nint device)
    {
        byte[] source = Encoding.UTF8.GetBytes(KernelSource.Text);
        ClProgram program;
        fixed (byte* text = source)
        {
            byte* strings = text;
            nuint length = (nuint)source.Length;
            program = OpenClNative.Own<ClProgram>(OpenClNative.CreateProgramWithSource(context, 1, &strings, &length, out int status), status, "clCreateProgramWithSource");
        }

        byte[] options = Encoding.ASCII.GetBytes(BuildOptions + "\0");
        int built;
        fixed (byte* o = options)
        {
            built = OpenClNative.BuildProgram(program, 1, &device, o, 0, 0);
        }

        if (built != 0)
        {
            string log = BuildLog(program, device);
            program.Dispose();
            throw new NativeCallException($"clBuildProgram failed with {OpenClNative.StatusName(built)} ({built}) compiling the kernel source {KernelSource.Hash[..12]}: {log}");
        }

        return program;
    }

    private static string BuildLog(ClProgram program, nint device)
    {
        nuint size = 0;
        if (OpenClNative.GetProgramBuildInfo(program, device, OpenClNative.ProgramBuildLog, 0, null, &size) != 0 || size == 0)
        {
            return "(no build log)";
        }

        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
        {
            OpenClNative.Check(OpenClNative.GetProgramBuildInfo(program, device, OpenClNative.ProgramBuildLog, size, b, null), "clGetProgramBuildInfo");
        }

        string log = Encoding.UTF8.GetString(buffer).TrimEnd('\0').Trim();
        return log.Length > 4000 ? log[..4000] + " ..." : log;
    }

    private ClKernel CreateKernel(string name)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* n = bytes)
        {
            return OpenClNative.Own<ClKernel>(OpenClNative.CreateKernel(Program, n, out int status), status, $"clCreateKernel({name})");
        }
    }

    public DeviceBuffer Allocate(long bytes, bool readOnly, string what)
    {
        long size = Math.Max(bytes, 8);
        if (size > MaxAllocation)
        {
            throw new NativeCallException($"{what} needs {size:N0} bytes, more than {DeviceName}'s largest allocation ({MaxAllocation:N0})");
        }

        var buffer = OpenClNative.Own<ClBuffer>(
            OpenClNative.CreateBuffer(Context, readOnly ? OpenClNative.MemReadOnly : OpenClNative.MemReadWrite, (nuint)size, null, out int status), status, $"clCreateBuffer({what})");
        return new OpenClBuffer(buffer, size);
    }

    public void Write<T>(DeviceBuffer buffer, ReadOnlySpan<T> data, long offsetElements = 0)
        where T : unmanaged
    {
        if (data.IsEmpty)
        {
            return;
        }

        fixed (T* source = data)
        {
            OpenClNative.Check(OpenClNative.EnqueueWriteBuffer(Queue, Handle(buffer), 1, (nuint)(offsetElements * sizeof(T)), (nuint)(data.Length * sizeof(T)), source, 0, null, null), "clEnqueueWriteBuffer");
        }
    }

    public void Read<T>(DeviceBuffer buffer, Span<T> destination, long offsetElements = 0)
        where T : unmanaged
    {
        if (destination.IsEmpty)
        {
            return;
        }

        fixed (T* target = destination)
        {
            OpenClNative.Check(OpenClNative.EnqueueReadBuffer(Queue, Handle(buffer), 1, (nuint)(offsetElements * sizeof(T)), (nuint)(destination.Length * sizeof(T)), target, 0, null, null), "clEnqueueReadBuffer");
        }
    }

    public DeviceKernel Bind(string name, IReadOnlyList<DeviceBuffer> buffers)
    {
        var kernel = CreateKernel(name);
        for (int i = 0; i < buffers.Count; i++)
        {
            nint handle = Handle(buffers[i]).DangerousGetHandle();
            OpenClNative.Check(OpenClNative.SetKernelArg(kernel, (uint)i, (nuint)sizeof(nint), &handle), $"clSetKernelArg({name}, {i})");
        }

        return new OpenClKernel(name, kernel, buffers.Count);
    }

    /// <summary>
    /// Work-items per group: one chain per group on a CPU device, so its runtime spreads chains over cores instead of
    /// packing them into one group on one thread; 64 on a GPU (two warps), the grid rounded up and the tail idle.
    /// </summary>
    public int GroupSize => IsGpu ? 64 : 1;

    public void Launch(DeviceKernel kernel, long workItems, ReadOnlySpan<int> scalars)
    {
        var bound = (OpenClKernel)kernel;
        for (int i = 0; i < scalars.Length; i++)
        {
            int value = scalars[i];
            OpenClNative.Check(OpenClNative.SetKernelArg(bound.Kernel, (uint)(bound.Buffers + i), sizeof(int), &value), $"clSetKernelArg({kernel.Name}, {bound.Buffers + i})");
        }

        nuint local = (nuint)GroupSize;
        nuint global = (nuint)((workItems + GroupSize - 1) / GroupSize * GroupSize);
        OpenClNative.Check(OpenClNative.EnqueueNdRangeKernel(Queue, bound.Kernel, 1, null, &global, &local, 0, null, null), $"clEnqueueNDRangeKernel({kernel.Name})");
        OpenClNative.Check(OpenClNative.Finish(Queue), $"clFinish({kernel.Name})");
    }

    private static ClBuffer Handle(DeviceBuffer buffer) => ((OpenClBuffer)buffer).Memory;

    public void Dispose()
    {
        Program.Dispose();
        Queue.Dispose();
        Context.Dispose();
        Gate.Dispose();
    }
}

internal sealed class OpenClBuffer : DeviceBuffer
{
    public OpenClBuffer(ClBuffer memory, long bytes)
    {
        Memory = memory;
        Bytes = bytes;
    }

    public ClBuffer Memory { get; }

    public override void Dispose() => Memory.Dispose();
}

internal sealed class OpenClKernel(string name, ClKernel kernel, int buffers) : DeviceKernel(name)
{
    public ClKernel Kernel { get; } = kernel;

    public int Buffers { get; } = buffers;

    public override void Dispose() => Kernel.Dispose();
}
