using System.Diagnostics;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Tests.Server;

/// <summary>
/// `shardcast serve` as its own process, as it is deployed: with its process-wide settings (socket completions
/// inline on the event loop) it answers many pipelined requests from several connections, reports its devices,
/// and stops cleanly on SIGTERM.
/// </summary>
public class ServeProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_serve_process_answers_pipelined_requests_on_several_connections_and_stops_on_sigterm()
    {
        string program = Path.Combine(AppContext.BaseDirectory, "shardcast.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{program}\" serve --listen 127.0.0.1:0") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        start.Environment["SHARDCAST_Server__InlineSocketCompletions"] = "true";
        using var process = Process.Start(start)!;
        try
        {
            // Log lines come first; the announcement names the port.
            string? line;
            do
            {
                line = await process.StandardOutput.ReadLineAsync().WaitAsync(Patience);
            }
            while (line is not null && !line.StartsWith("listening on ", StringComparison.Ordinal));

            Assert.NotNull(line);
            Assert.StartsWith("listening on 127.0.0.1:", line, StringComparison.Ordinal);
            var drained = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
            int port = int.Parse(line["listening on 127.0.0.1:".Length..].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);

            var clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ShardcastClient.ConnectAsync("127.0.0.1", port)));
            try
            {
                var capabilities = await clients[0].CallAsync("capabilities", MsgPackValue.EmptyMap).WaitAsync(Patience);
                Assert.Equal(3, capabilities["backends"]!.Items.Count);

                // 4 connections x 50 pipelined route requests, all in flight at once.
                var calls = clients.SelectMany(c => Enumerable.Range(0, 50).Select(_ => c.CallAsync("route", MsgPackValue.EmptyMap))).ToArray();
                var answers = await Task.WhenAll(calls).WaitAsync(Patience);
                Assert.All(answers, a => Assert.NotNull(a["entries"]));
            }
            finally
            {
                foreach (var client in clients)
                {
                    await client.DisposeAsync();
                }
            }

            Assert.Equal(0, Kill(process.Id));
            await process.WaitForExitAsync().WaitAsync(Patience);
            await drained.WaitAsync(Patience);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static int Kill(int pid)
    {
        using var kill = Process.Start("kill", $"-TERM {pid}");
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
