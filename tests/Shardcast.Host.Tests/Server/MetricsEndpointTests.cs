using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Shardcast.Host.Server;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Tests.Server;

/// <summary>The Prometheus endpoint: off by default, this server's counts in the text format, a token where one is set, nothing but GET /metrics.</summary>
public class MetricsEndpointTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Metrics_are_served_in_prometheus_text_format_counting_this_servers_requests()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Server:MetricsListen"] = "127.0.0.1:0" });
        await using var client = await server.ConnectAsync();
        await client.CallAsync("route", MsgPackValue.EmptyMap).WaitAsync(Patience);
        await client.CallAsync("route", MsgPackValue.EmptyMap).WaitAsync(Patience);
        await Assert.ThrowsAsync<Shardcast.Protocol.ProtocolException>(() => client.CallAsync("teleport", MsgPackValue.EmptyMap).WaitAsync(Patience));

        using var http = new HttpClient();
        var endPoint = server.Metrics!;
        string text = await http.GetStringAsync(new Uri($"http://{endPoint}/metrics")).WaitAsync(Patience);
        Assert.Contains("# TYPE shardcast_server_requests_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("shardcast_server_requests_total{op=\"route\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("shardcast_server_errors_total{code=\"unknown_op\",op=\"teleport\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE shardcast_server_latency_ms summary\n", text, StringComparison.Ordinal);
        Assert.Contains("shardcast_server_latency_ms_count{op=\"route\"} 2\n", text, StringComparison.Ordinal);
        Assert.Matches(@"shardcast_server_connections 1\n", text);

        var notFound = await http.GetAsync(new Uri($"http://{endPoint}/other")).WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
    }

    [Fact]
    public async Task With_a_token_a_scrape_needs_it_and_off_loopback_a_token_is_required()
    {
        const string Token = "a long enough shared secret";
        await using var server = await RunningServer.StartAsync(new() { ["Server:MetricsListen"] = "127.0.0.1:0", ["Server:Token"] = Token });
        using var http = new HttpClient();
        var uri = new Uri($"http://{server.Metrics!}/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(uri).WaitAsync(Patience)).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request).WaitAsync(Patience)).StatusCode);

        Assert.Contains(new ServerOptions { MetricsListen = "0.0.0.0:9464" }.Validate(), p => p.Contains("Server:Token is required to serve metrics on 0.0.0.0:9464", StringComparison.Ordinal));
        Assert.Contains(new ServerOptions { MetricsListen = "metrics" }.Validate(), p => p.Contains("Server:MetricsListen 'metrics' is not host:port", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Off_by_default()
    {
        await using var server = await RunningServer.StartAsync();
        Assert.Null(server.Metrics);
    }
}
