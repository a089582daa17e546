using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Shardcast.Host.Server;
using Shardcast.Protocol;

namespace Shardcast.Host.Tests.Server;

/// <summary>A real server on a free loopback port, in this process, with the settings a test gives.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly IHost _host;

    private RunningServer(IHost host)
    {
        _host = host;
        Server = host.Services.GetRequiredService<ShardcastServer>();
    }

    public ShardcastServer Server { get; }

    public int Port => Server.EndPoint!.Port;

    public static async Task<RunningServer> StartAsync(Dictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var overrides = new Dictionary<string, string?> { ["Server:Listen"] = "127.0.0.1:0", ["Logging:LogLevel:Default"] = "Warning" };
        foreach (var (key, value) in settings ?? [])
        {
            overrides[key] = value;
        }

        var host = ServerHost.Build(overrides, clock: clock);
        await host.StartAsync();
        return new RunningServer(host);
    }

    public Task<ShardcastClient> ConnectAsync(string? token = null) => ShardcastClient.ConnectAsync("127.0.0.1", Port, token);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
