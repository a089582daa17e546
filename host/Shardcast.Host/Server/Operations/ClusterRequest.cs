using Shardcast.Engine.Cluster;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>A request body holding a cluster file's fields and some of the operation's own.</summary>
public static class ClusterRequest
{
    public static (ClusterSpec Spec, Dictionary<string, MsgPackValue> Extras) Read(MsgPackValue body, params string[] ownKeys)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.Kind != MsgPackKind.Map)
        {
            throw new BadRequestException("body", $"expected a map of the cluster file's fields, found {BodyFields.Describe(body)}");
        }

        var extras = new Dictionary<string, MsgPackValue>(StringComparer.Ordinal);
        var cluster = new List<KeyValuePair<MsgPackValue, MsgPackValue>>();
        foreach (var pair in body.Pairs)
        {
            if (pair.Key.Kind == MsgPackKind.String && ownKeys.Contains(pair.Key.String))
            {
                extras[pair.Key.String] = pair.Value;
            }
            else
            {
                cluster.Add(pair);
            }
        }

        var json = JsonBridge.ToUtf8Json(MsgPackValue.FromMap([.. cluster]), "body");
        try
        {
            return (ClusterFileReader.Parse(json), extras);
        }
        catch (ClusterFileException e)
        {
            // The reader names JSON paths ($.partitions[3].load); on the wire they are body paths.
            throw new BadRequestException("body" + e.Field.TrimStart('$'), e.Reason);
        }
    }
}
