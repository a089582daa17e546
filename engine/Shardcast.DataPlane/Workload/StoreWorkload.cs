using System.Collections.Concurrent;
using System.Diagnostics;
using Shardcast.DataPlane.Migration;
using Shardcast.DataPlane.Store;

namespace Shardcast.DataPlane.Workload;

/// <summary>
/// Clients reading and writing a store through Shardcast's client layer, with a hot region of slots that takes most
/// of the operations: the load a rebalance is meant to spread. It remembers every acknowledged write, so that
/// <see cref="CheckAsync"/> can show afterwards that a rebalance under this load lost nothing.
/// </summary>
public sealed class StoreWorkload : IAsyncDisposable
{
    private readonly GatedClient _client;
    private readonly WorkloadOptions _options;
    private readonly string[] _keys;
    private readonly int _hotKeys;
    private readonly ConcurrentDictionary<string, string> _acknowledged = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task[] _clients = [];
    private long _reads;
    private long _writes;
    private long _refused;

    public StoreWorkload(GatedClient client, WorkloadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options ?? new WorkloadOptions();
        _options.Validate();
        _hotShare = _options.HotOperationShare;
        _hotKeys = (int)Math.Round(_options.Keys * _options.HotKeyShare);
        _keys = new string[_options.Keys];
        for (int k = 0; k < _keys.Length; k++)
        {
            _keys[k] = k < _hotKeys ? HotKey(k) : $"key:{k}";
        }
    }

    /// <summary>The first of hot:k:0, hot:k:1, ... whose slot is in the hot region (a few tries where the region is a sixth of the slots).</summary>
    private string HotKey(int k)
    {
        for (int attempt = 0; ; attempt++)
        {
            string key = $"hot:{k}:{attempt}";
            int slot = HashSlots.Of(key);
            if (slot >= _options.HotFirstSlot && slot <= _options.HotLastSlot)
            {
                return key;
            }
        }
    }

    /// <summary>The share of operations on the hot keys now; set while running to move load onto the hot region or off it (a ramp).</summary>
    public double HotOperationShare
    {
        get => Volatile.Read(ref _hotShare);
        set => Volatile.Write(ref _hotShare, value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "a share in [0, 1]"));
    }

    private double _hotShare;

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Operations that failed and were not acknowledged (a fenced slot past its wait, a node not answering); the clients go on.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Writes every key once, <see cref="WorkloadOptions.Clients"/> at a time; reports keys written.</summary>
    public async Task PreloadAsync(IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        int written = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, _keys.Length), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, _options.Clients), CancellationToken = cancellation }, async (k, token) =>
        {
            string value = Value(k, 0, new Random(k));
            await _client.SetAsync(_keys[k], value, token).ConfigureAwait(false);
            _acknowledged[_keys[k]] = value;
            int done = Interlocked.Increment(ref written);
            if (done % 1000 == 0 || done == _keys.Length)
            {
                progress?.Report(done);
            }
        }).ConfigureAwait(false);
    }

    public void Start()
    {
        if (_clients.Length > 0)
        {
            throw new InvalidOperationException("the workload is already running");
        }

        _clients = [.. Enumerable.Range(0, _options.Clients).Select(c => Task.Run(() => RunClientAsync(c, _stop.Token)))];
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_clients).ConfigureAwait(false);
    }

    /// <summary>Every acknowledged write read back: the keys whose value is not the last acknowledged one.</summary>
    public async Task<IReadOnlyList<string>> CheckAsync(CancellationToken cancellation = default)
    {
        var lost = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(_acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellation }, async (pair, _) =>
        {
            string? read = await _client.GetAsync(pair.Key).ConfigureAwait(false);
            if (read != pair.Value)
            {
                lost.Add($"{pair.Key}: acknowledged {Describe(pair.Value)}, read {(read is null ? "nothing" : Describe(read))}");
            }
        }).ConfigureAwait(false);
        return [.. lost.Order(StringComparer.Ordinal)];
    }

    /// <summary>How far a client may fall behind its rate before it drops what it missed.</summary>
    private static readonly TimeSpan MaxBacklog = TimeSpan.FromMilliseconds(250);

    private async Task RunClientAsync(int client, CancellationToken stop)
    {
        var random = new Random(unchecked((int)_options.Seed * 31 + client));
        int owned = (_keys.Length - client + _options.Clients - 1) / _options.Clients;
        int ownedHot = (_hotKeys - client + _options.Clients - 1) / _options.Clients;
        double perClient = _options.OperationsPerSecond / _options.Clients;
        long start = Stopwatch.GetTimestamp();
        for (long n = 1; !stop.IsCancellationRequested; n++)
        {
            if (perClient > 0)
            {
                var due = TimeSpan.FromSeconds(n / perClient) - Stopwatch.GetElapsedTime(start);
                if (due < -MaxBacklog)
                {
                    // Behind by more than the backlog (held at a fence, a node slow to answer, a busy machine): the
                    // missed operations are dropped rather than sent in a burst, which the traffic counters would
                    // read as load that is not there; clients of a real service time out and move on too.
                    start = Stopwatch.GetTimestamp() - (long)(n / perClient * Stopwatch.Frequency);
                }
                else if (due > TimeSpan.FromMilliseconds(1))
                {
                    try
                    {
                        await Task.Delay(due, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }

            bool hot = ownedHot > 0 && random.NextDouble() < HotOperationShare;
            int k = (hot ? random.Next(ownedHot) : random.Next(ownedHot, Math.Max(ownedHot + 1, owned))) * _options.Clients + client;
            if (k >= _keys.Length)
            {
                continue;
            }

            string key = _keys[k];
            try
            {
                if (random.NextDouble() < _options.WriteShare)
                {
                    string value = Value(k, n, random);
                    await _client.SetAsync(key, value, CancellationToken.None).ConfigureAwait(false);
                    _acknowledged[key] = value;
                    Interlocked.Increment(ref _writes);
                }
                else
                {
                    await _client.GetAsync(key).ConfigureAwait(false);
                    Interlocked.Increment(ref _reads);
                }
            }
            catch (Exception e) when (e is SlotMovingException or StackExchange.Redis.RedisException or TimeoutException)
            {
                Interlocked.Increment(ref _refused);
            }
        }
    }

    /// <summary>A value that names its key and version, padded to a log-uniform size.</summary>
    private string Value(int key, long version, Random random)
    {
        double size = _options.MinValueBytes * Math.Pow((double)_options.MaxValueBytes / _options.MinValueBytes, random.NextDouble());
        string head = $"{key}:{version}:";
        return head.PadRight(Math.Max(head.Length, (int)size), 'x');
    }

    private static string Describe(string value) => value.Length <= 24 ? value : $"{value[..value.IndexOf(':', value.IndexOf(':') + 1)]}… ({value.Length} B)";

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
