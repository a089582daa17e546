using System.Text.Json;
using Shardcast.Host.Commands;
using Shardcast.Tests;

namespace Shardcast.Host.Tests.Commands;

/// <summary>
/// `shardcast capabilities`: every backend is listed with its devices or the reason it has none. CI installs PoCL
/// and sets SHARDCAST_REQUIRE_OPENCL=1, so there the OpenCL probe must find a device through the real libOpenCL.
/// </summary>
public class CapabilitiesCliTests
{
    [Fact]
    public void Json_lists_cuda_opencl_and_managed_each_with_devices_or_a_reason()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Ok, Cli.Run(["capabilities", "--json"], output, error, () => new MemoryStream()));
        using var json = JsonDocument.Parse(output.ToString());
        var backends = json.RootElement.EnumerateArray().ToDictionary(b => b.GetProperty("name").GetString()!);
        Assert.Equal(["cuda", "opencl", "managed"], backends.Keys);
        foreach (var (name, report) in backends)
        {
            bool hasDevices = report.GetProperty("devices").GetArrayLength() > 0;
            bool hasReason = report.GetProperty("unavailable").ValueKind == JsonValueKind.String;
            Assert.True(hasDevices != hasReason, $"{name}: devices or a reason, not both or neither");
        }

        Assert.True(backends["managed"].GetProperty("searchable").GetBoolean());
        Assert.True(backends["managed"].GetProperty("devices")[0].GetProperty("compute_units").GetInt32() >= 1);
        if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_OPENCL") == "1")
        {
            var opencl = backends["opencl"];
            Assert.True(opencl.GetProperty("devices").GetArrayLength() > 0, opencl.GetProperty("unavailable").ToString());
            Assert.True(opencl.GetProperty("devices")[0].GetProperty("global_memory_bytes").GetInt64() > 0);
            Assert.True(opencl.GetProperty("searchable").GetBoolean());
        }

        string cuda = backends["cuda"].GetProperty("unavailable").GetString() ?? "";
        if (MachineExpectations.CudaGpu is { } gpu)
        {
            Assert.Equal(gpu, backends["cuda"].GetProperty("searchable").GetBoolean());
            Assert.Equal(gpu, backends["cuda"].GetProperty("devices").GetArrayLength() > 0);
        }

        if (MachineExpectations.CudaGpu == true)
        {
            Assert.Equal("", cuda);
        }
        else if (Environment.GetEnvironmentVariable("SHARDCAST_CUDA_DRIVER") is { Length: > 0 })
        {
            // CI's real driver library without a kernel module: cuInit fails, named with the driver's status name.
            Assert.Matches(@"^cuInit failed with CUDA_ERROR_[A-Z_]+ \(\d+\)$", cuda);
        }
        else if (!File.Exists("/usr/lib/x86_64-linux-gnu/libcuda.so.1"))
        {
            Assert.Contains("libcuda.so.1 not found", cuda, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Text_names_each_backend_and_the_libraries_tried()
    {
        var output = new StringWriter();
        Assert.Equal(ExitCodes.Ok, Cli.Run(["capabilities"], output, new StringWriter(), () => new MemoryStream()));
        string text = output.ToString();
        Assert.Contains("cuda: ", text, StringComparison.Ordinal);
        Assert.Contains("opencl: ", text, StringComparison.Ordinal);
        Assert.Contains("managed: searches", text, StringComparison.Ordinal);
        Assert.Contains("libraries tried: libOpenCL.so.1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_with_backend_opencl_searches_on_the_device_or_says_why_managed_did()
    {
        string output = Path.Combine(Path.GetTempPath(), $"shardcast-opencl-plan-{Guid.NewGuid():N}.json");
        try
        {
            var console = new StringWriter();
            int code = Cli.Run(["plan", "--input", Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json"), "--backend", "opencl", "--steps", "4000", "--output", output, "--no-scaling-advice"], console, new StringWriter(), () => new MemoryStream());
            Assert.Equal(ExitCodes.Ok, code);
            using var plan = JsonDocument.Parse(File.ReadAllText(output));
            string backend = plan.RootElement.GetProperty("backend").GetString()!;
            if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_OPENCL") == "1")
            {
                Assert.Equal("opencl", backend);
                Assert.False(plan.RootElement.TryGetProperty("backend_fallback", out _));
                Assert.True(plan.RootElement.GetProperty("feasible").GetBoolean());
            }
            else if (backend == "managed")
            {
                Assert.Equal("opencl", plan.RootElement.GetProperty("backend_fallback").GetProperty("requested").GetString());
                Assert.Contains("did not search", console.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Verify_checks_each_device_backend_against_the_references()
    {
        var output = new StringWriter();
        int code = Cli.Run(["capabilities", "--verify"], output, new StringWriter(), () => new MemoryStream());
        string text = output.ToString();
        if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_OPENCL") == "1")
        {
            Assert.Contains("verify opencl: ok: batch costs vs double reference", text, StringComparison.Ordinal);
            Assert.Contains("verify opencl: ok: annealing vs managed from the same seed", text, StringComparison.Ordinal);
            Assert.Contains("plan identical", text, StringComparison.Ordinal);
        }

        if (MachineExpectations.CudaGpu == true)
        {
            Assert.Contains("verify cuda: ok: batch costs vs double reference", text, StringComparison.Ordinal);
        }
        else if (!File.Exists("/usr/lib/x86_64-linux-gnu/libcuda.so.1"))
        {
            // No device: the CUDA check compiles the kernel source with NVRTC where one is installed (CI's is).
            Assert.Matches(Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_NVRTC") == "1"
                ? @"verify cuda: ok: kernel source compiled by NVRTC without a device \(compute capability 9\.0\): sm_90, 6 kernels declared, [0-9,]+ bytes of PTX"
                : @"verify cuda: (ok|skipped): kernel source compiled by NVRTC without a device", text);
        }

        Assert.Equal(text.Contains("FAILED", StringComparison.Ordinal) ? ExitCodes.InternalError : ExitCodes.Ok, code);
        Assert.DoesNotContain("FAILED", text, StringComparison.Ordinal);
    }
}
