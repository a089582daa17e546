using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Shardcast.Host.Server;
using Shardcast.Protocol;

namespace Shardcast.Host.Tests.Server;

/// <summary>
/// A real server on a free loopback port, in this process, with the settings a test gives; its state (the routing
/// tables) in a folder of its own, removed afterwards, unless the test names one (to restart a server on it).
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string? _ownState;

    private RunningServer(IHost host, string? ownState)
    {
        _host = host;
        _ownState = ownState;
        Server = host.Services.GetRequiredService<ShardcastServer>();
    }

    public ShardcastServer Server { get; }

    /// <summary>Where the metrics endpoint listens, or null where it is off.</summary>
    public System.Net.IPEndPoint? Metrics => _host.Services.GetRequiredService<MetricsEndpoint>().EndPoint;

    public int Port => Server.EndPoint!.Port;

    public static async Task<RunningServer> StartAsync(Dictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        string? ownState = settings?.ContainsKey("Server:StateDirectory") == true ? null : Directory.CreateTempSubdirectory("shardcast-state-").FullName;
        var overrides = new Dictionary<string, string?> { ["Server:Listen"] = "127.0.0.1:0", ["Logging:LogLevel:Default"] = "Warning", ["Server:StateDirectory"] = ownState };
        foreach (var (key, value) in settings ?? [])
        {
            overrides[key] = value;
        }

        var host = ServerHost.Build(overrides, clock: clock);
        await host.StartAsync();
        return new RunningServer(host, ownState);
    }

    public Task<ShardcastClient> ConnectAsync(string? token = null) => ShardcastClient.ConnectAsync("127.0.0.1", Port, token);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        if (_ownState is not null)
        {
            Directory.Delete(_ownState, recursive: true);
        }
    }
}
