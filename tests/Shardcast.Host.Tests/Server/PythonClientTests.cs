using System.Diagnostics;
using Shardcast.Tests;

namespace Shardcast.Host.Tests.Server;

/// <summary>
/// examples/python/shardcast_client.py, on Debian's python3-msgpack (a MessagePack implementation nobody here
/// wrote), drives every operation against a real server. CI installs python3-msgpack and sets
/// SHARDCAST_REQUIRE_PYTHON_CLIENT=1, so there a missing peer is a failure, not a pass.
/// </summary>
public class PythonClientTests
{
    [PythonClientFact]
    public async Task The_python_client_drives_every_operation()
    {
        string python = PythonClientFactAttribute.Python;
        await using var server = await RunningServer.StartAsync();
        string script = Path.Combine(AppContext.BaseDirectory, "python", "shardcast_client.py");
        var (code, output) = await Task.Run(() => Run(python, $"{script} --port {server.Port} selftest"));
        Assert.True(code == 0, output);
        Assert.Contains("12 of 12 checks passed", output, StringComparison.Ordinal);
    }

    private static (int Code, string Output) Run(string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>
/// Runs where /usr/bin/python3 imports msgpack (Debian's python3-msgpack); skips, saying what to install, elsewhere,
/// unless SHARDCAST_REQUIRE_PYTHON_CLIENT=1 makes a missing peer a failure (CI).
/// </summary>
public sealed class PythonClientFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (MachineExpectations.PythonClient == true)
        {
            return null;
        }

        if (!File.Exists(Python))
        {
            return $"{Python} not found (Debian: apt-get install python3 python3-msgpack)";
        }

        using var check = Process.Start(new ProcessStartInfo(Python, "-c \"import msgpack\"") { RedirectStandardError = true, RedirectStandardOutput = true })!;
        check.WaitForExit();
        return check.ExitCode == 0 ? null : $"{Python} cannot import msgpack (Debian: apt-get install python3-msgpack)";
    });

    public PythonClientFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
