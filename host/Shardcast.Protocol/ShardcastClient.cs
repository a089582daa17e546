using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Protocol;

/// <summary>
/// The C# client of the socket protocol: async, pipelined (any number of calls in flight on one connection,
/// answered by id in any order) and cancellable (a cancelled call stops waiting; a late answer is dropped).
/// Errors come back as <see cref="ProtocolException"/> with the server's code; a broken connection fails every
/// call in flight.
/// </summary>
public sealed class ShardcastClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly string? _token;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<MsgPackValue>> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _readLoop;
    private long _nextId;

    private ShardcastClient(TcpClient tcp, string? token)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _token = token;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public int MaxFrameBytes { get; init; } = 256 << 20;

    public static async Task<ShardcastClient> ConnectAsync(string host, int port, string? token = null, CancellationToken cancellation = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellation).ConfigureAwait(false);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }

        return new ShardcastClient(tcp, token);
    }

    /// <summary>Calls an operation; returns the response body, or throws <see cref="ProtocolException"/> with the server's error.</summary>
    public async Task<MsgPackValue> CallAsync(string op, MsgPackValue body, CancellationToken cancellation = default)
    {
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        var completion = new TaskCompletionSource<MsgPackValue>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        try
        {
            await SendRequestAsync(Messages.Request(id, op, body, _token), cancellation).ConfigureAwait(false);
            using (cancellation.Register(() => completion.TrySetCanceled(cancellation)))
            {
                return await completion.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _writeLock.Dispose();
        _closing.Dispose();
    }

    /// <summary>Encodes into the connection's one output buffer and writes, under the write lock.</summary>
    private async Task SendRequestAsync(MsgPackValue request, CancellationToken cancellation)
    {
        await _writeLock.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            _output.ResetWrittenCount();
            Framing.Encode(request, _output);
            await _stream.WriteAsync(_output.WrittenMemory, cancellation).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(_stream);
        Exception failure = new IOException("The server closed the connection.");
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (true)
                {
                    var frame = Framing.TryRead(buffer, MaxFrameBytes, MsgPackLimits.Default);
                    if (frame.Status == FrameStatus.NeedMoreBytes)
                    {
                        break;
                    }

                    if (frame.Status != FrameStatus.Complete)
                    {
                        throw new IOException($"Unreadable response frame: {frame.Error}");
                    }

                    buffer = buffer.Slice(frame.Consumed);
                    Deliver(frame.Value!);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            failure = e is OperationCanceledException ? new ObjectDisposedException(nameof(ShardcastClient)) : e;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(failure);
            }
        }
    }

    private void Deliver(MsgPackValue response)
    {
        var id = response["id"];
        if (id is null || id.Kind != MsgPackKind.Integer)
        {
            // An error the server could not tie to a request (a bad frame): fail everything in flight with it.
            var error = response["error"];
            var exception = new ProtocolException(error?["code"]?.String ?? ErrorCodes.Internal, error?["message"]?.String ?? "unidentified response");
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(exception);
            }

            return;
        }

        if (!_pending.TryGetValue(id.UInt, out var completion))
        {
            return;
        }

        if (response["ok"] is { Kind: MsgPackKind.Boolean, Boolean: true })
        {
            completion.TrySetResult(response["body"] ?? MsgPackValue.EmptyMap);
        }
        else
        {
            var error = response["error"];
            completion.TrySetException(new ProtocolException(error?["code"]?.String ?? ErrorCodes.Internal, error?["message"]?.String ?? "", response["body"]));
        }
    }
}
