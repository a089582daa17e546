using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;
using Shardcast.Kernels.Cuda;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.OpenCl;
using Shardcast.Kernels.Probes;
using Shardcast.Kernels.Search.Exact;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast capabilities`: each backend, its devices and limits, or why it has none.</summary>
public static class CapabilitiesCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var verify = new Option<bool>("--verify") { Description = "Also check each device backend that searches against the references (batch costs, annealing vs managed); exit code 1 if a check fails." };
        var command = new Command("capabilities", "List each search backend (CUDA, OpenCL, managed), its devices and limits, or why it is unavailable.") { json, verify };
        command.SetAction(parse => CommandGuard.Run(
            error,
            () =>
            {
                var reports = DeviceCatalog.Probe();
                if (parse.GetValue(json))
                {
                    output.WriteLine(JsonSerializer.Serialize(reports, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
                    return ExitCodes.Ok;
                }

                var c = CultureInfo.InvariantCulture;
                foreach (var report in reports)
                {
                    output.WriteLine($"{report.Name}: {(report.Searchable ? "searches" : report.Devices.Count > 0 ? "devices found" : "unavailable")}");
                    if (report.Unavailable is { } why)
                    {
                        output.WriteLine($"  why: {why}");
                    }

                    foreach (var d in report.Devices)
                    {
                        output.WriteLine(string.Create(c, $"  {d.Kind} {d.Name} ({d.Vendor}{(d.Vendor.Length > 0 ? ", " : "")}{d.Version}): {d.ComputeUnits} compute units, {d.GlobalMemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB, work groups up to {d.MaxWorkGroupSize}"));
                    }

                    if (report.Note is { } note)
                    {
                        output.WriteLine($"  note: {note}");
                    }

                    if (report.LibrariesTried.Count > 0)
                    {
                        output.WriteLine($"  libraries tried: {string.Join(", ", report.LibrariesTried)}");
                    }
                }

                output.WriteLine($"exact node sets (managed search): {ExactNodeSets.Status}");
                return parse.GetValue(verify) ? Verify(reports, output) : ExitCodes.Ok;
            },
            _ => null));
        return command;
    }

    private static int Verify(IReadOnlyList<BackendReport> reports, TextWriter output)
    {
        bool passed = true;
        foreach (var report in reports.Where(r => r.Searchable && r.Name != "managed"))
        {
            ISearchBackend backend = report.Name == "cuda" ? new CudaBackend() : new OpenClBackend();
            foreach (var check in BackendVerification.Verify(backend))
            {
                output.WriteLine($"verify {check.Backend}: {(check.Passed ? "ok" : "FAILED")}: {check.Check}: {check.Detail}");
                passed &= check.Passed;
            }
        }

        if (reports.FirstOrDefault(r => r.Name == CudaBackend.BackendName) is { Searchable: false })
        {
            passed &= VerifyCudaCompile(output);
        }

        return passed ? ExitCodes.Ok : ExitCodes.InternalError;
    }

    /// <summary>
    /// Without a CUDA device the kernels cannot run, but where NVRTC is installed the kernel source can still be
    /// compiled, for a Hopper GPU (compute capability 9.0: the H100 and H200); no NVRTC is no failure here.
    /// </summary>
    private static bool VerifyCudaCompile(TextWriter output)
    {
        const string check = "kernel source compiled by NVRTC without a device (compute capability 9.0)";
        CudaCompileCheck compiled;
        try
        {
            compiled = CudaCompileCheck.Run(90);
        }
        catch (NativeCallException e) when (e.Message.StartsWith("NVRTC not found", StringComparison.Ordinal))
        {
            output.WriteLine($"verify cuda: skipped: {check}: {e.Message}");
            return true;
        }
        catch (NativeCallException e)
        {
            output.WriteLine($"verify cuda: FAILED: {check}: {e.Message}");
            return false;
        }

        bool ok = compiled.Missing.Count == 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify cuda: {(ok ? "ok" : "FAILED")}: {check}: {compiled.Target}, {compiled.Declared.Count} kernels declared{(ok ? "" : $", missing {string.Join(", ", compiled.Missing)}")}, {compiled.PtxBytes:N0} bytes of PTX in {compiled.Elapsed.TotalSeconds:0.0} s ({compiled.CompiledWith}){(compiled.CachedAt is { } at ? $", cached at {at}" : "")}"));
        return ok;
    }
}
