using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Shardcast.Engine.Planning;
using Shardcast.Host.Server.Operations;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server;

/// <summary>
/// One client connection: reads frames (refusing an oversized one from its header, before buffering it),
/// dispatches each request as its own task (pipelining: answers go back by id as they finish), stops reading
/// while its in-flight limit is reached (backpressure), and writes answers one frame at a time. A frame that
/// cannot be parsed gets `bad_frame` and the connection closes; nothing a client sends escapes this class as
/// an exception.
/// </summary>
internal sealed partial class Connection(ShardcastServer server, Socket socket)
{
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _output = new(16 * 1024);
    private readonly SemaphoreSlim _slots = new(server.Options.MaxInFlightPerConnection, server.Options.MaxInFlightPerConnection);
    private readonly HashSet<ulong> _ids = [];
    private readonly List<Task> _requests = [];
    private readonly MsgPackLimits _limits = new()
    {
        MaxDepth = server.Options.MaxDepth,
        MaxStringBytes = server.Options.MaxStringBytes,
        MaxBinaryBytes = server.Options.MaxFrameBytes,
        MaxElements = server.Options.MaxFrameBytes,
    };

    private readonly string _remote = socket.RemoteEndPoint?.ToString() ?? "?";
    private readonly byte[]? _token = server.Options.Token is { Length: > 0 } t ? Encoding.UTF8.GetBytes(t) : null;

    public async Task RunAsync(CancellationToken stopReading)
    {
        server.Metrics.ConnectionOpened();
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            await ReadLoopAsync(reader, stopReading).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the server is stopping: what is in flight still finishes below.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            Task[] running;
            lock (_requests)
            {
                running = [.. _requests];
            }

            await Task.WhenAll(running).ConfigureAwait(false);
            Close();
            server.Metrics.ConnectionClosed();
        }
    }

    /// <summary>Answers an accepted connection with one error and closes it (the server is full).</summary>
    public async Task RefuseAsync(string code, string message)
    {
        try
        {
            await WriteAsync(Messages.Failure(null, code, message)).ConfigureAwait(false);
        }
        finally
        {
            Close();
        }
    }

    public void Close()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _stream.Dispose();
    }

    private async Task ReadLoopAsync(PipeReader reader, CancellationToken stopReading)
    {
        while (true)
        {
            var read = await reader.ReadAsync(stopReading).ConfigureAwait(false);
            var buffer = read.Buffer;
            while (true)
            {
                var frame = Framing.TryRead(buffer, server.Options.MaxFrameBytes, _limits);
                if (frame.Status == FrameStatus.NeedMoreBytes)
                {
                    break;
                }

                server.CountFrame();
                if (frame.Status is FrameStatus.TooLarge or FrameStatus.BadFrame)
                {
                    string code = frame.Status == FrameStatus.TooLarge ? ErrorCodes.TooLarge : ErrorCodes.BadFrame;
                    server.Metrics.RequestStarted();
                    server.Metrics.RequestFinished("(frame)", code, TimeSpan.Zero);
                    LogRefusedFrame(server.Logger, code, frame.Error ?? "");
                    await WriteAsync(Messages.Failure(null, code, frame.Error ?? code)).ConfigureAwait(false);
                    reader.AdvanceTo(buffer.End);
                    return;
                }

                buffer = buffer.Slice(frame.Consumed);

                // Backpressure: no further frame is read while this connection's requests fill every slot.
                await _slots.WaitAsync(stopReading).ConfigureAwait(false);
                var started = Stopwatch.GetTimestamp();

                // The id is claimed here, in arrival order: a request is in flight from the moment it is read, not
                // from whenever a worker thread first runs it, so a later request with the same id is always the
                // one refused.
                var (id, claim) = ClaimId(frame.Value!);
                if (IsLight(frame.Value!))
                {
                    // Microseconds of work: answered in turn on this loop, without a hop to another task.
                    await HandleAsync(frame.Value!, id, claim, started, light: true).ConfigureAwait(false);
                    continue;
                }

                var task = Task.Run(() => HandleAsync(frame.Value!, id, claim, started, light: false), CancellationToken.None);
                lock (_requests)
                {
                    _requests.RemoveAll(t => t.IsCompleted);
                    _requests.Add(task);
                }
            }

            // A frame announced but not yet whole stays in the pipe; reading resumes when more arrives.
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>A well-formed request for a light operation; anything else takes the general path, which also reports what is wrong.</summary>
    private static bool IsLight(MsgPackValue request) =>
        request.Kind == MsgPackKind.Map && request["op"] is { Kind: MsgPackKind.String } op && OperationCatalog.Find(op.String) is { } operation
        && request["body"] is var body && (body is null || body.Kind == MsgPackKind.Map) && !operation.IsHeavy(body ?? MsgPackValue.EmptyMap);

    /// <summary>The request's id where it has a usable one, so that even a malformed envelope's error goes back to the request that sent it.</summary>
    private static ulong? IdOf(MsgPackValue request) =>
        request.Kind == MsgPackKind.Map && request["id"] is { Kind: MsgPackKind.Integer, IsNegative: false } given ? given.UInt : null;

    private (ulong? Id, IdClaim Claim) ClaimId(MsgPackValue request)
    {
        if (IdOf(request) is not { } id)
        {
            return (null, IdClaim.None);
        }

        lock (_ids)
        {
            return (id, _ids.Add(id) ? IdClaim.Held : IdClaim.Duplicate);
        }
    }

    /// <param name="id">The request's id as read with its frame (null where it has no usable one).</param>
    /// <param name="light">A light operation answered on the connection's loop: logged at Debug when it succeeds.</param>
    private async Task HandleAsync(MsgPackValue request, ulong? id, IdClaim claim, long started, bool light)
    {
        server.Metrics.RequestStarted();
        string op = "(unknown)";
        string? errorCode = null;
        try
        {
            var envelope = Envelope.Read(request);
            op = envelope.Op;
            CheckToken(envelope.Token);
            if (claim == IdClaim.Duplicate)
            {
                throw new ProtocolException(ErrorCodes.DuplicateId, $"request id {envelope.Id} is already in flight on this connection");
            }

            var operation = OperationCatalog.Find(envelope.Op) ?? throw new ProtocolException(ErrorCodes.UnknownOp, $"unknown op '{envelope.Op}' (known: {string.Join(", ", OperationCatalog.Names)})");
            var body = await RunAsync(operation, envelope.Body).ConfigureAwait(false);
            await WriteAsync(Messages.Success(envelope.Id, body)).ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            errorCode = e.Code;
            await WriteAsync(Messages.Failure(id, e.Code, e.Message, e.Body)).ConfigureAwait(false);
        }
        catch (PlanningException e)
        {
            // The planner refused what the body asks (a cluster whose cost overflows, contradictory move costs):
            // the client's input, as the CLI's exit code 2 says, not the server's failure.
            errorCode = ErrorCodes.BadRequest;
            await WriteAsync(Messages.Failure(id, ErrorCodes.BadRequest, "body: " + e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (IOException or SocketException or ObjectDisposedException))
        {
            errorCode = ErrorCodes.Internal;
            LogInternalError(server.Logger, e, op, id ?? 0);
            await WriteAsync(Messages.Failure(id, ErrorCodes.Internal, $"internal error in {op}; the server logged it and keeps serving")).ConfigureAwait(false);
        }
        finally
        {
            if (claim == IdClaim.Held)
            {
                lock (_ids)
                {
                    _ids.Remove(id!.Value);
                }
            }

            _slots.Release();
            var elapsed = Stopwatch.GetElapsedTime(started);
            server.Metrics.RequestFinished(op, errorCode, elapsed);
            LogRequest(light && errorCode is null ? LogLevel.Debug : LogLevel.Information, op, id, errorCode, elapsed);
        }
    }

    /// <summary>Runs an operation within the request's time budget; heavy ones wait for a worker first.</summary>
    private async Task<MsgPackValue> RunAsync(IOperation operation, MsgPackValue body)
    {
        var budget = TimeSpan.FromSeconds(server.Options.RequestTimeoutSeconds);
        using var deadline = new CancellationTokenSource(budget, server.Clock);
        var context = new RequestContext(server.Options, server.Series, server.Routes, server.Clusters, server.Metrics, server.Clock, server.Clock.GetUtcNow() + budget, deadline.Token, server.Store, server.Control, server.Forecasters, server.Detectors, server.Model, server.Adaptation);
        try
        {
            if (!operation.IsHeavy(body))
            {
                return operation.Run(body, context);
            }

            await server.HeavyWork.WaitAsync(deadline.Token).ConfigureAwait(false);
            try
            {
                return await Task.Run(() => operation.Run(body, context), deadline.Token).ConfigureAwait(false);
            }
            finally
            {
                server.HeavyWork.Release();
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new ProtocolException(ErrorCodes.Timeout, $"{operation.Name} did not finish within {budget.TotalSeconds:0.###} s");
        }
    }

    private void CheckToken(string? token)
    {
        if (_token is null)
        {
            return;
        }

        var given = token is null ? [] : Encoding.UTF8.GetBytes(token);
        // Constant time over the expected length: how much of a guess matched never shows in the timing.
        bool match = given.Length == _token.Length & CryptographicOperations.FixedTimeEquals(given.Length == _token.Length ? given : _token, _token);
        if (!match)
        {
            throw new ProtocolException(ErrorCodes.Unauthorized, token is null ? "this server requires a token" : "wrong token");
        }
    }

    private async Task WriteAsync(MsgPackValue response)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _output.ResetWrittenCount();
            Framing.Encode(response, _output);
            await _stream.WriteAsync(_output.WrittenMemory).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client is gone; its answer has nowhere to go.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a frame ({Code}): {Reason}; closing the connection")]
    private static partial void LogRefusedFrame(ILogger logger, string code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Internal error in {Op} (request {Id})")]
    private static partial void LogInternalError(ILogger logger, Exception exception, string op, ulong id);

    /// <summary>
    /// One line per request: heavy ones (plans, forecasts, evaluations of a cluster sent whole) and every error at
    /// Information, the default level; light successes (route, ingest, evaluations of a cached cluster, tens of
    /// thousands a second) at Debug, where a console line each would cost more than the request.
    /// </summary>
    private void LogRequest(LogLevel level, string op, ulong? id, string? errorCode, TimeSpan elapsed)
    {
        if (server.Logger.IsEnabled(level))
        {
            LogRequestDone(server.Logger, level, op, id ?? 0, errorCode ?? "ok", elapsed.TotalMilliseconds, _remote);
        }
    }

    [LoggerMessage(Message = "{Op} id {Id} from {Remote}: {Outcome} in {Milliseconds:0.0} ms")]
    private static partial void LogRequestDone(ILogger logger, LogLevel level, string op, ulong id, string outcome, double milliseconds, string remote);
}

/// <summary>A request's envelope, checked: {"v": 1, "id": uint, "op": str, "body": map, "token"?: str}.</summary>
internal sealed record Envelope(ulong Id, string Op, MsgPackValue Body, string? Token)
{
    public static Envelope Read(MsgPackValue request)
    {
        if (request.Kind != MsgPackKind.Map)
        {
            throw new BadRequestException("request", $"expected a map, found {BodyFields.Describe(request)}");
        }

        var id = request["id"];
        if (id is null || id.Kind != MsgPackKind.Integer || id.IsNegative)
        {
            throw new BadRequestException("id", id is null ? "required" : $"expected an unsigned integer, found {BodyFields.Describe(id)}");
        }

        var fields = new BodyFields(request, "request", "v", "id", "op", "body", "token");
        var version = fields.Required("v");
        if (version.Kind != MsgPackKind.Integer || version.Int != Messages.Version || version.IsNegative)
        {
            throw new ProtocolException(ErrorCodes.UnsupportedVersion, $"v: this server speaks version {Messages.Version}, found {version}");
        }

        string op = fields.RequiredString("op");
        var body = fields.Optional("body") ?? MsgPackValue.EmptyMap;
        if (body.Kind != MsgPackKind.Map)
        {
            throw new BadRequestException("body", $"expected a map, found {BodyFields.Describe(body)}");
        }

        return new Envelope(id.UInt, op, body, fields.OptionalString("token"));
    }
}

/// <summary>What became of a request's id when its frame was read.</summary>
internal enum IdClaim
{
    /// <summary>No usable id; the envelope check reports it.</summary>
    None,

    /// <summary>The id is this request's until it is answered.</summary>
    Held,

    /// <summary>Another request on the connection holds the id.</summary>
    Duplicate,
}
