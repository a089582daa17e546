namespace Shardcast.Tests;

/// <summary>
/// What the machine running the tests is declared to have, so that a test that takes one branch of the machine's
/// state (a device found, or a fallback) can still fail: the branch must be the declared one. Each variable is
/// "1" (must be there: a missing piece fails), "0" (must not be: finding it fails), or unset (either; the test
/// checks whichever branch the machine takes). CI declares SHARDCAST_REQUIRE_CUDA=0 (its machines have no GPU of
/// any kind) and the other requirements 1; the GPU machine's conformance run declares SHARDCAST_REQUIRE_CUDA=1.
/// </summary>
public static class MachineExpectations
{
    /// <summary>A CUDA GPU: true on the GPU machine, false on CI, where no GPU of any kind (CUDA or OpenCL) is present.</summary>
    public static bool? CudaGpu => Flag("SHARDCAST_REQUIRE_CUDA");

    /// <summary>An OpenCL device (PoCL on CI).</summary>
    public static bool? OpenCl => Flag("SHARDCAST_REQUIRE_OPENCL");

    /// <summary>Debian's python3-msgpack under /usr/bin/python3.</summary>
    public static bool? PythonClient => Flag("SHARDCAST_REQUIRE_PYTHON_CLIENT");

    private static bool? Flag(string name) => Environment.GetEnvironmentVariable(name) switch
    {
        "1" => true,
        "0" => false,
        _ => null,
    };
}
