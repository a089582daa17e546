namespace Shardcast.DataPlane.Store;

/// <summary>A store answered a command with an error where the step needed it to succeed; the message names both.</summary>
public sealed class StoreCommandException(string message) : Exception(message);
