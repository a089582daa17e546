using System.Globalization;
using System.Net;

namespace Shardcast.DataPlane.Store;

/// <summary>A running cluster named by address: <c>redis://host:port[,host:port...]</c>, one or more of its nodes.</summary>
public static class StoreAddress
{
    public const string Scheme = "redis://";

    public static bool IsAddress(string store) => store.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>The nodes' endpoints, host names resolved; a clear error naming the part that is not a host:port.</summary>
    public static IReadOnlyList<IPEndPoint> Parse(string store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!IsAddress(store))
        {
            throw new FormatException($"'{store}' is not a cluster address: expected {Scheme}host:port[,host:port...]");
        }

        var endpoints = new List<IPEndPoint>();
        foreach (string raw in store[Scheme.Length..].Split(',', StringSplitOptions.TrimEntries))
        {
            string part = IsAddress(raw) ? raw[Scheme.Length..] : raw;
            int colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            {
                throw new FormatException($"'{raw}' in {store}: expected host:port with a port from 1 to 65535");
            }

            string host = part[..colon].Trim('[', ']');
            var address = IPAddress.TryParse(host, out var ip) ? ip
                : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new FormatException($"'{host}' in {store}: the host name does not resolve");
            endpoints.Add(new IPEndPoint(address, port));
        }

        return endpoints;
    }
}
