using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Shardcast.DataPlane.Store;

/// <summary>
/// Debian's `redis-server` (7.0) started as child processes in cluster mode on free loopback ports, one folder each,
/// nothing persisted (no RDB, no AOF: a killed node loses what it held, as Garnet's embedded servers do), slots of a
/// failed node not blocking the others (cluster-require-full-coverage no, as chaos kills and hangs nodes), joined and
/// given even ranges of the slots like the embedded Garnet cluster. Being processes, its nodes can be killed as a
/// crash would (SIGKILL). Refused, naming what is missing, where `redis-server` is not installed.
/// </summary>
public sealed class RedisServerCluster : IFaultableStore
{
    private readonly Process?[] _processes;
    private readonly string _folder;

    private RedisServerCluster(Process?[] processes, IReadOnlyList<IPEndPoint> endPoints, string folder, StoreCluster store)
    {
        _processes = processes;
        EndPoints = endPoints;
        _folder = folder;
        Store = store;
    }

    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    public StoreCluster Store { get; }

    /// <summary>Where redis-server is looked for: SHARDCAST_REDIS_SERVER, else the PATH.</summary>
    public static string? FindProgram()
    {
        if (Environment.GetEnvironmentVariable("SHARDCAST_REDIS_SERVER") is { Length: > 0 } named)
        {
            return File.Exists(named) ? named : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
    }

    public static async Task<RedisServerCluster> StartAsync(int nodes, TimeSpan formTimeout, CancellationToken cancellation = default)
    {
        if (nodes is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes, "a redis-server cluster here has 1 to 64 nodes");
        }

        string program = FindProgram() ?? throw new FileNotFoundException("redis-server is not installed (Debian: apt-get install redis-server), or SHARDCAST_REDIS_SERVER names no file");
        string folder = Directory.CreateTempSubdirectory("shardcast-redis-").FullName;
        var endPoints = LoopbackPorts.Free(nodes);
        var processes = new Process?[nodes];
        try
        {
            for (int i = 0; i < nodes; i++)
            {
                string dir = Path.Combine(folder, $"node{i}");
                Directory.CreateDirectory(dir);
                var start = new ProcessStartInfo(program)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    WorkingDirectory = dir,
                };
                foreach (string argument in new[]
                {
                    "--port", endPoints[i].Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--cluster-node-timeout", "5000", "--protected-mode", "no", "--cluster-require-full-coverage", "no",
                })
                {
                    start.ArgumentList.Add(argument);
                }

                processes[i] = Process.Start(start)!;
                processes[i]!.OutputDataReceived += (_, _) => { };
                processes[i]!.ErrorDataReceived += (_, _) => { };
                processes[i]!.BeginOutputReadLine();
                processes[i]!.BeginErrorReadLine();
            }

            foreach (var endPoint in endPoints)
            {
                await WaitListeningAsync(endPoint, formTimeout, cancellation).ConfigureAwait(false);
            }

            var store = await ClusterForming.FormAndConnectAsync(endPoints, formTimeout, cancellation).ConfigureAwait(false);
            return new RedisServerCluster(processes, endPoints, folder, store);
        }
        catch
        {
            foreach (var process in processes)
            {
                Stop(process);
            }

            ClusterForming.TryDeleteFolder(folder);
            throw;
        }
    }

    public void Kill(int node)
    {
        Stop(_processes[node]);
        _processes[node] = null;
    }

    public bool CanHang => true;

    public void Hang(int node) => Signal(node, "-STOP");

    public void Resume(int node) => Signal(node, "-CONT");

    private void Signal(int node, string signal)
    {
        var process = _processes[node] ?? throw new InvalidOperationException($"node {node} was killed");
        using var kill = Process.Start("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} {process.Id} exited with {kill.ExitCode}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync().ConfigureAwait(false);
        foreach (var process in _processes)
        {
            Stop(process);
        }

        ClusterForming.TryDeleteFolder(_folder);
    }

    private static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                // SIGKILL ends a stopped (hung) process too.
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    private static async Task WaitListeningAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(endPoint, cancellation).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(20, cancellation).ConfigureAwait(false);
            }
        }
    }
}
