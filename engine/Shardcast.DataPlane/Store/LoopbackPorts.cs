using System.Net;
using System.Net.Sockets;

namespace Shardcast.DataPlane.Store;

/// <summary>Free loopback ports for servers Shardcast starts itself.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// Ports the OS says are free on loopback, each with its cluster bus port (port + 10000) free too, since the
    /// servers announce that one to each other.
    /// </summary>
    public static IPEndPoint[] Free(int count)
    {
        var found = new List<IPEndPoint>();
        var held = new List<TcpListener>();
        try
        {
            while (found.Count < count)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                held.Add(listener);
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (port + 10000 <= 65535 && IsFree(port + 10000))
                {
                    found.Add(new IPEndPoint(IPAddress.Loopback, port));
                }
            }

            return [.. found];
        }
        finally
        {
            foreach (var listener in held)
            {
                listener.Stop();
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
