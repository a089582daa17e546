using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Shardcast.DataPlane.Store;

/// <summary>
/// One plain RESP2 connection to one node, one command at a time: for the admin sequences a migration needs where the
/// order on the wire matters (ASKING, then the command it applies to), which a multiplexing client does not promise.
/// Replies are strings, integers, nil, arrays of them, or an error reply, which is returned (not thrown): a caller
/// decides what a MOVED or an ERR means at its step. Every read is bounded by the timeout given.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private const int MaxBulkBytes = 512 << 20;
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly BufferedStream _reader;
    private readonly TimeSpan _timeout;

    private RespConnection(TcpClient client, TimeSpan timeout)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new BufferedStream(_stream, 64 << 10);
        _timeout = timeout;
    }

    public IPEndPoint EndPoint => (IPEndPoint)_client.Client.RemoteEndPoint!;

    public static async Task<RespConnection> OpenAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var client = new TcpClient { NoDelay = true };
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bounded.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(endPoint, bounded.Token).ConfigureAwait(false);
            return new RespConnection(client, timeout);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async Task<RespReply> CallAsync(CancellationToken cancellation, params object[] command)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bounded.CancelAfter(_timeout);
        await _stream.WriteAsync(Encode(command), bounded.Token).ConfigureAwait(false);
        return await ReadAsync(bounded.Token).ConfigureAwait(false);
    }

    public Task<RespReply> CallAsync(params object[] command) => CallAsync(CancellationToken.None, command);

    /// <summary>
    /// Sends the commands together and reads their replies in order (a pipeline: one round trip for all, where one
    /// call each costs a round trip each); the time limit covers the whole batch.
    /// </summary>
    public async Task<RespReply[]> PipelineAsync(IReadOnlyList<object[]> commands, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bounded.CancelAfter(_timeout);
        var buffer = new ArrayBufferWriter<byte>(commands.Count * 48);
        foreach (var command in commands)
        {
            buffer.Write(Encode(command));
        }

        await _stream.WriteAsync(buffer.WrittenMemory, bounded.Token).ConfigureAwait(false);
        var replies = new RespReply[commands.Count];
        for (int i = 0; i < replies.Length; i++)
        {
            replies[i] = await ReadAsync(bounded.Token).ConfigureAwait(false);
        }

        return replies;
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    internal static byte[] Encode(object[] command)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        Write(buffer, $"*{command.Length}\r\n");
        foreach (object part in command)
        {
            byte[] bytes = part switch
            {
                byte[] raw => raw,
                string text => Encoding.UTF8.GetBytes(text),
                IFormattable number => Encoding.ASCII.GetBytes(number.ToString(null, CultureInfo.InvariantCulture)),
                _ => Encoding.UTF8.GetBytes(part.ToString() ?? ""),
            };
            Write(buffer, $"${bytes.Length}\r\n");
            buffer.Write(bytes);
            Write(buffer, "\r\n");
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(ArrayBufferWriter<byte> buffer, string text) => buffer.Write(Encoding.ASCII.GetBytes(text));

    private async Task<RespReply> ReadAsync(CancellationToken cancellation)
    {
        string line = await ReadLineAsync(cancellation).ConfigureAwait(false);
        char kind = line.Length > 0 ? line[0] : '?';
        string rest = line.Length > 0 ? line[1..] : "";
        switch (kind)
        {
            case '+':
                return RespReply.FromText(rest);
            case '-':
                return RespReply.FromError(rest);
            case ':':
                return RespReply.FromInteger(long.Parse(rest, CultureInfo.InvariantCulture));
            case '$':
                int length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return RespReply.Nil;
                }

                if (length > MaxBulkBytes)
                {
                    throw new IOException($"{EndPoint}: a bulk reply of {length} bytes exceeds {MaxBulkBytes}");
                }

                byte[] data = new byte[length + 2];
                await _reader.ReadExactlyAsync(data, cancellation).ConfigureAwait(false);
                return RespReply.FromBulk(data.AsSpan(0, length).ToArray());
            case '*':
                int count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return RespReply.Nil;
                }

                var items = new RespReply[count];
                for (int i = 0; i < count; i++)
                {
                    items[i] = await ReadAsync(cancellation).ConfigureAwait(false);
                }

                return RespReply.FromArray(items);
            default:
                throw new IOException($"{EndPoint}: not a RESP reply: '{line}'");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellation)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await _reader.ReadAsync(one, cancellation).ConfigureAwait(false) == 0)
            {
                throw new IOException($"{EndPoint}: the connection closed mid-reply");
            }

            if (one[0] == '\n' && line.Length > 0 && line[^1] == '\r')
            {
                return line.ToString(0, line.Length - 1);
            }

            line.Append((char)one[0]);
            if (line.Length > 1 << 20)
            {
                throw new IOException($"{EndPoint}: a reply line longer than 1 MiB");
            }
        }
    }
}
