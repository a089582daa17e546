namespace Shardcast.Kernels.Interop;

/// <summary>A native call that failed; the message names the call and its status.</summary>
public sealed class NativeCallException(string message) : Exception(message);
