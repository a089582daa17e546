using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shardcast.Host.Server;

/// <summary>
/// `GET /metrics` over plain HTTP/1.1 on Server:MetricsListen, in Prometheus's text format; nothing else is served.
/// Off unless configured; off loopback it requires `Authorization: Bearer TOKEN` (Server:Token). A request's head is
/// read up to 8 KiB within 5 s, so a slow or hostile client costs one small buffer for a bounded time.
/// </summary>
public sealed partial class MetricsEndpoint(IOptions<ServerOptions> options, ServerMetrics metrics, ILogger<MetricsEndpoint> logger) : BackgroundService
{
    private const int MaxHeadBytes = 8 << 10;
    private readonly ServerOptions _options = options.Value;
    private PrometheusExporter? _exporter;
    private TcpListener? _listener;

    /// <summary>Where it listens (the real port where the settings asked for port 0); null when off.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.MetricsEndPoint() is { } endPoint)
        {
            // Only with the endpoint on: its listener formats labels for every measurement, on every request's path.
            _exporter = new PrometheusExporter(metrics);
            _listener = new TcpListener(endPoint);
            _listener.Start();
            EndPoint = (IPEndPoint)_listener.LocalEndpoint;
            LogServing(logger, EndPoint);
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _listener?.Dispose();
        _exporter?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is null)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(stoppingToken).ConfigureAwait(false);
                _ = Task.Run(() => ServeAsync(client, stoppingToken), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _listener.Stop();
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stoppingToken)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var stream = client.GetStream();
                string? head = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
                var (status, body) = Answer(head);
                byte[] content = Encoding.UTF8.GetBytes(body);
                string header = $"HTTP/1.1 {status}\r\nContent-Type: {(status.StartsWith("200", StringComparison.Ordinal) ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(header), timeout.Token).ConfigureAwait(false);
                await stream.WriteAsync(content, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // A scraper that went away or stalled: nothing to answer.
            }
        }
    }

    /// <summary>The status line and body for a request head (null: too large or not whole).</summary>
    internal (string Status, string Body) Answer(string? head)
    {
        if (head is null)
        {
            return ("400 Bad Request", "request head too large or incomplete\n");
        }

        string[] lines = head.Split("\r\n");
        string[] request = lines[0].Split(' ');
        if (request.Length != 3 || request[0] != "GET")
        {
            return ("405 Method Not Allowed", "only GET /metrics is served\n");
        }

        if (request[1] != "/metrics")
        {
            return ("404 Not Found", "only GET /metrics is served\n");
        }

        if (_options.Token is { Length: > 0 } token && !Authorized(lines, token))
        {
            return ("401 Unauthorized", "send Authorization: Bearer <Server:Token>\n");
        }

        return ("200 OK", _exporter!.Render());
    }

    private static bool Authorized(string[] lines, string token)
    {
        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                var given = Encoding.UTF8.GetBytes(line[(colon + 1)..].Trim());
                return given.Length == expected.Length && CryptographicOperations.FixedTimeEquals(given, expected);
            }
        }

        return false;
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellation)
    {
        var buffer = new byte[MaxHeadBytes];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            filled += read;
            int end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return Encoding.ASCII.GetString(buffer, 0, end);
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics at http://{EndPoint}/metrics (Prometheus text format)")]
    private static partial void LogServing(ILogger logger, IPEndPoint endPoint);
}
