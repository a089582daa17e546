using System.Diagnostics;

namespace Shardcast.Host.Tests.Server;

/// <summary>
/// examples/python/shardcast_client.py, on Debian's python3-msgpack (a MessagePack implementation nobody here
/// wrote), drives every operation against a real server. CI installs python3-msgpack and sets
/// SHARDCAST_REQUIRE_PYTHON_CLIENT=1, so there a missing peer is a failure, not a pass.
/// </summary>
public class PythonClientTests
{
    [Fact]
    public async Task The_python_client_drives_every_operation()
    {
        string python = "/usr/bin/python3";
        bool required = Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_PYTHON_CLIENT") == "1";
        if (!File.Exists(python) || Run(python, "-c \"import msgpack\"").Code != 0)
        {
            Assert.False(required, "python3 with python3-msgpack is required here (SHARDCAST_REQUIRE_PYTHON_CLIENT=1) but missing");
            return;
        }

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
