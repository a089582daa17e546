namespace Shardcast.Protocol;

/// <summary>
/// The error codes of the socket protocol: stable strings a client may switch on (frozen by a test; add, never
/// rename). docs/protocol.md says when each is sent.
/// </summary>
public static class ErrorCodes
{
    /// <summary>The frame cannot be parsed (not MessagePack, not a map, truncated): sent once, then the connection closes.</summary>
    public const string BadFrame = "bad_frame";

    /// <summary>The request or its body does not match the schema; the message names the field.</summary>
    public const string BadRequest = "bad_request";

    public const string UnknownOp = "unknown_op";

    /// <summary>The request's `v` is not a version this server speaks.</summary>
    public const string UnsupportedVersion = "unsupported_version";

    /// <summary>A frame longer than the server's limit: sent, then the connection closes (the rest is not read).</summary>
    public const string TooLarge = "too_large";

    /// <summary>The request ran past its time budget and was cancelled.</summary>
    public const string Timeout = "timeout";

    /// <summary>A plan request whose best plan still breaks capacity or a constraint; the body carries it all the same.</summary>
    public const string Infeasible = "infeasible";

    /// <summary>The token is missing or wrong.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The server is shutting down and takes no new work.</summary>
    public const string ShuttingDown = "shutting_down";

    /// <summary>A request id already in flight on this connection.</summary>
    public const string DuplicateId = "duplicate_id";

    /// <summary>A referenced series or epoch that the server does not hold.</summary>
    public const string NotFound = "not_found";

    /// <summary>The server is at its connection limit: sent on accept, then the connection closes.</summary>
    public const string Busy = "busy";

    /// <summary>A bug: the server logged it and kept serving.</summary>
    public const string Internal = "internal";

    public static IReadOnlyList<string> All { get; } =
        [BadFrame, BadRequest, UnknownOp, UnsupportedVersion, TooLarge, Timeout, Infeasible, Unauthorized, ShuttingDown, DuplicateId, NotFound, Busy, Internal];
}

/// <summary>A protocol error: a code from <see cref="ErrorCodes"/>, a message for people, and the body where one came with it.</summary>
public class ProtocolException(string code, string message, MessagePack.MsgPackValue? body = null) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>What came with the error (an infeasible plan carries the plan).</summary>
    public MessagePack.MsgPackValue? Body { get; } = body;
}
