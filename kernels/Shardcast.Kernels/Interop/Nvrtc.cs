using System.Runtime.InteropServices;
using System.Text;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Interop;

/// <summary>
/// NVRTC, the CUDA runtime compiler, loaded from the first of <see cref="CudaProbe.NvrtcCandidates"/> that loads
/// (CUDA toolkits and pip's nvidia-cuda-nvrtc wheels put it in different places and under versioned names, so it
/// is bound at run time rather than by an import attribute). Compiles the kernel source to PTX, which the driver
/// then loads; every path tried is kept for the error message.
/// </summary>
internal sealed unsafe class Nvrtc
{
    private readonly delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int> _create;
    private readonly delegate* unmanaged<nint, int, byte**, int> _compile;
    private readonly delegate* unmanaged<nint, nuint*, int> _logSize;
    private readonly delegate* unmanaged<nint, byte*, int> _log;
    private readonly delegate* unmanaged<nint, nuint*, int> _ptxSize;
    private readonly delegate* unmanaged<nint, byte*, int> _ptx;
    private readonly delegate* unmanaged<nint*, int> _destroy;
    private readonly delegate* unmanaged<int, byte*> _errorString;

    private Nvrtc(nint library, string path)
    {
        Path = path;
        _create = (delegate* unmanaged<nint*, byte*, byte*, int, byte**, byte**, int>)Export(library, "nvrtcCreateProgram");
        _compile = (delegate* unmanaged<nint, int, byte**, int>)Export(library, "nvrtcCompileProgram");
        _logSize = (delegate* unmanaged<nint, nuint*, int>)Export(library, "nvrtcGetProgramLogSize");
        _log = (delegate* unmanaged<nint, byte*, int>)Export(library, "nvrtcGetProgramLog");
        _ptxSize = (delegate* unmanaged<nint, nuint*, int>)Export(library, "nvrtcGetPTXSize");
        _ptx = (delegate* unmanaged<nint, byte*, int>)Export(library, "nvrtcGetPTX");
        _destroy = (delegate* unmanaged<nint*, int>)Export(library, "nvrtcDestroyProgram");
        _errorString = (delegate* unmanaged<int, byte*>)Export(library, "nvrtcGetErrorString");
    }

    public string Path { get; }

    /// <summary>Loads the first NVRTC that loads; where none does, the error lists every path tried.</summary>
    public static Nvrtc Load()
    {
        var tried = new List<string>();
        foreach (string candidate in CudaProbe.NvrtcCandidates())
        {
            tried.Add(candidate);
            if (NativeLibrary.TryLoad(candidate, out nint library))
            {
                return new Nvrtc(library, candidate);
            }
        }

        throw new NativeCallException($"NVRTC not found; tried {string.Join(", ", tried)}");
    }

    private static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address) ? address : throw new NativeCallException($"NVRTC has no {name}");

    /// <summary>Compiles source to PTX with the given options; a compile error carries NVRTC's log.</summary>
    public byte[] CompileToPtx(string source, string name, IReadOnlyList<string> options)
    {
        byte[] sourceBytes = Encoding.UTF8.GetBytes(source + "\0");
        byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        nint program = 0;
        fixed (byte* s = sourceBytes)
        fixed (byte* n = nameBytes)
        {
            Check(_create(&program, s, n, 0, null, null), "nvrtcCreateProgram");
        }

        try
        {
            var optionBytes = options.Select(o => Encoding.ASCII.GetBytes(o + "\0")).ToArray();
            var handles = optionBytes.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToArray();
            try
            {
                var pointers = stackalloc byte*[handles.Length];
                for (int i = 0; i < handles.Length; i++)
                {
                    pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                }

                int status = _compile(program, handles.Length, pointers);
                if (status != 0)
                {
                    throw new NativeCallException($"nvrtcCompileProgram failed with {ErrorString(status)} ({status}) using {Path}: {Log(program)}");
                }
            }
            finally
            {
                foreach (var handle in handles)
                {
                    handle.Free();
                }
            }

            nuint size = 0;
            Check(_ptxSize(program, &size), "nvrtcGetPTXSize");
            var ptx = new byte[(int)size];
            fixed (byte* p = ptx)
            {
                Check(_ptx(program, p), "nvrtcGetPTX");
            }

            return ptx;
        }
        finally
        {
            _destroy(&program);
        }
    }

    private string Log(nint program)
    {
        nuint size = 0;
        if (_logSize(program, &size) != 0 || size <= 1)
        {
            return "(no log)";
        }

        var log = new byte[(int)size];
        fixed (byte* l = log)
        {
            _log(program, l);
        }

        string text = Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
        return text.Length > 4000 ? text[..4000] + " ..." : text;
    }

    private void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new NativeCallException($"{call} failed with {ErrorString(status)} ({status}) using {Path}");
        }
    }

    private string ErrorString(int status) => Marshal.PtrToStringUTF8((nint)_errorString(status)) ?? "NVRTC status";
}
