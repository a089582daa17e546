using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shardcast.Host.Server;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast serve`: the MessagePack socket server (docs/protocol.md) until Ctrl+C or SIGTERM.</summary>
public static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var listen = new Option<string?>("--listen") { Description = "host:port to listen on (default 127.0.0.1:7411; anything but loopback needs a token)." };
        var token = new Option<string?>("--token") { Description = "Shared secret every request must carry (or Server:Token / SHARDCAST_Server__Token)." };
        var config = new Option<FileInfo?>("--config") { Description = "A folder's appsettings.json to read instead of the one beside the program." };
        var metrics = new Option<string?>("--metrics") { Description = "host:port to serve GET /metrics on, in Prometheus's text format (off by default; anything but loopback needs a token)." };
        var state = new Option<string?>("--state") { Description = "Folder for what survives a restart (the routing tables); default $XDG_STATE_HOME/shardcast or ~/.local/state/shardcast; '' keeps it in memory." };
        var store = new Option<string?>("--store") { Description = "A store to manage: garnet (embedded, started with the server), redis-server (child processes) or redis://host:port,... (a running cluster); its cluster name on the socket is Server:StoreName (store)." };
        var storeNodes = new Option<int?>("--store-nodes") { Description = "Primaries of a store the server starts (default 3)." };
        var control = new Option<bool>("--control") { Description = "Run the control loop over the store (docs/control-loop.md): observe, forecast, plan and carry plans out every step; `control` reports and pauses it." };
        var adapt = new Option<bool>("--adapt") { Description = "Fine-tune the served LSTM on the ingested series when its error on their newest data drifts, keeping a new version only where it forecasts them better (Server:Adapt*, docs/forecasting.md)." };
        var command = new Command("serve", "Serve the engine over the MessagePack socket protocol (docs/protocol.md).") { listen, token, config, metrics, state, store, storeNodes, control, adapt };
        command.SetAction(parse =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(listen) is { } l)
            {
                overrides["Server:Listen"] = l;
            }

            if (parse.GetValue(token) is { } t)
            {
                overrides["Server:Token"] = t;
            }

            if (parse.GetValue(metrics) is { } m)
            {
                overrides["Server:MetricsListen"] = m;
            }

            if (parse.GetValue(state) is { } s)
            {
                overrides["Server:StateDirectory"] = s;
            }

            if (parse.GetValue(store) is { } st)
            {
                overrides["Server:Store"] = st;
            }

            if (parse.GetValue(storeNodes) is { } sn)
            {
                overrides["Server:StoreNodes"] = sn.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(control))
            {
                overrides["Server:StoreControl"] = "true";
            }

            if (parse.GetValue(adapt))
            {
                overrides["Server:AdaptModel"] = "true";
            }

            using var host = ServerHost.Build(overrides, parse.GetValue(config)?.DirectoryName);
            try
            {
                ApplyProcessWideSettings(host.Services.GetRequiredService<IOptions<ServerOptions>>().Value);
                host.Start();
            }
            catch (OptionsValidationException e)
            {
                foreach (string failure in e.Failures)
                {
                    error.WriteLine($"error: {failure}");
                }

                return ExitCodes.BadInput;
            }
            catch (System.Net.Sockets.SocketException e)
            {
                error.WriteLine($"error: cannot listen: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or DataPlane.Store.StoreCommandException or TimeoutException)
            {
                error.WriteLine($"error: the store (Server:Store): {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (Exception e) when (e is Engine.Routing.RoutingStateException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: the server's state (Server:StateDirectory): {e.Message}");
                return ExitCodes.BadInput;
            }

            output.WriteLine($"listening on {host.Services.GetRequiredService<ShardcastServer>().EndPoint}; Ctrl+C stops (requests in flight are finished first)");
            if (host.Services.GetRequiredService<MetricsEndpoint>().EndPoint is { } metricsAt)
            {
                output.WriteLine($"metrics on http://{metricsAt}/metrics");
            }
            host.WaitForShutdown();
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Socket completions inline on the event loop (unless the environment already decides): a light request (an
    /// evaluate of a cached cluster, a route, an ingest) is then read, answered and written by the thread that saw
    /// its bytes arrive, with no hop through the thread pool, whose workers otherwise spend more time waking and
    /// spinning than the request takes (docs/benchmarks.md). Safe because nothing on that path blocks: heavy
    /// operations go to the worker pool, device probes are made once at start-up, and the device runtime that
    /// "auto" would pick is built then too (CUDA's first use compiles the kernel source for about a minute). The
    /// runtime reads the switch when it creates its first socket, so it is set before the listener exists and only
    /// by `serve`, the one command whose process is a server.
    /// </summary>
    private static void ApplyProcessWideSettings(ServerOptions options)
    {
        const string inline = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (options.InlineSocketCompletions && Environment.GetEnvironmentVariable(inline) is null)
        {
            Environment.SetEnvironmentVariable(inline, "1");
        }

        _ = Task.Run(() =>
        {
            _ = Kernels.Probes.DeviceCatalog.Cached;
            Engine.Planning.BackendCatalog.Prepare();
        });
    }
}
