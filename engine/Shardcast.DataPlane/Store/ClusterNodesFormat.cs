using System.Globalization;
using System.Net;

namespace Shardcast.DataPlane.Store;

/// <summary>
/// Reads the reply of CLUSTER NODES, as Redis and Garnet write it: a line per node,
/// `id ip:port@cport[,hostname] flags master ping pong epoch link slot...`, slots as `N`, `N-M`, `[N->-id]` (migrating
/// to id) or `[N-<-id]` (importing from id). Replicas and nodes in a failed state own no slots here. A line that does
/// not read is refused naming it, so a changed format cannot pass as an empty map.
/// </summary>
public static class ClusterNodesFormat
{
    public static SlotMap Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nodes = new List<StoreNode>();
        var slotLists = new List<string[]>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8)
            {
                throw new FormatException($"CLUSTER NODES line '{line}' has {fields.Length} fields, expected at least 8");
            }

            string[] flags = fields[2].Split(',');
            if (!flags.Contains("master") || flags.Contains("fail") || flags.Contains("noaddr") || fields[1].StartsWith(':'))
            {
                // Replicas, failed nodes, and a node that does not know its own address yet (Redis writes ":port@cport"
                // for itself before its first MEET) own no slots in this map.
                continue;
            }

            nodes.Add(new StoreNode(fields[0], EndPointOf(fields[1], line)));
            slotLists.Add(fields[8..]);
        }

        var owner = new int[HashSlots.Count];
        Array.Fill(owner, -1);
        var inTransit = new Dictionary<int, (string From, string To)>();
        for (int n = 0; n < nodes.Count; n++)
        {
            foreach (string entry in slotLists[n])
            {
                if (entry.StartsWith('['))
                {
                    ReadTransit(entry, nodes[n].Id, inTransit);
                    continue;
                }

                int dash = entry.IndexOf('-', StringComparison.Ordinal);
                int first = Slot(dash < 0 ? entry : entry[..dash], entry);
                int last = dash < 0 ? first : Slot(entry[(dash + 1)..], entry);
                for (int slot = first; slot <= last; slot++)
                {
                    owner[slot] = n;
                }
            }
        }

        return new SlotMap(nodes, owner, inTransit);
    }

    private static void ReadTransit(string entry, string self, Dictionary<int, (string From, string To)> inTransit)
    {
        // [N->-target] on the source, [N-<-source] on the target.
        string body = entry.Trim('[', ']');
        int migrating = body.IndexOf("->-", StringComparison.Ordinal);
        int importing = body.IndexOf("-<-", StringComparison.Ordinal);
        if (migrating > 0)
        {
            inTransit[Slot(body[..migrating], entry)] = (self, body[(migrating + 3)..]);
        }
        else if (importing > 0)
        {
            inTransit[Slot(body[..importing], entry)] = (body[(importing + 3)..], self);
        }
        else
        {
            throw new FormatException($"CLUSTER NODES slot entry '{entry}' is neither migrating nor importing");
        }
    }

    private static int Slot(string text, string entry) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int slot) && slot < HashSlots.Count
            ? slot
            : throw new FormatException($"CLUSTER NODES slot entry '{entry}' is not a slot or a range of slots");

    private static IPEndPoint EndPointOf(string address, string line)
    {
        // ip:port@cport[,hostname]
        string hostPort = address.Split('@')[0];
        return IPEndPoint.TryParse(hostPort, out var endPoint)
            ? endPoint
            : throw new FormatException($"CLUSTER NODES line '{line}' has no ip:port where its address should be");
    }
}
