using System.Net;

namespace Shardcast.DataPlane.Store;

/// <summary>A primary of the store: the cluster's id for it (40 hex characters) and where clients reach it.</summary>
public sealed record StoreNode(string Id, IPEndPoint EndPoint)
{
    public override string ToString() => $"{EndPoint} ({Id[..Math.Min(8, Id.Length)]})";
}
