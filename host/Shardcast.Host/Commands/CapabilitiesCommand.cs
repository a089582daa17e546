using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Shardcast.Kernels.Devices;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast capabilities`: each backend, its devices and limits, or why it has none.</summary>
public static class CapabilitiesCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command("capabilities", "List each search backend (CUDA, OpenCL, managed), its devices and limits, or why it is unavailable.") { json };
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

                return ExitCodes.Ok;
            },
            _ => null));
        return command;
    }
}
