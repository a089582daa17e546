using Shardcast.Kernels.Device;
using Shardcast.Kernels.Interop;
using Shardcast.Kernels.OpenCl;
using Shardcast.Kernels.Probes;

namespace Shardcast.Kernels.Tests.Probes;

/// <summary>
/// Device runtimes and the OpenCL inventory are made once per process, by one thread, however many ask at once:
/// PoCL crashes the process when two threads list its devices together.
/// </summary>
public class DeviceEnumerationTests
{
    private const int Callers = 8;

    [Fact]
    public void A_shared_runtime_is_created_once_for_callers_that_arrive_together()
    {
        int created = 0;
        int inside = 0;
        int overlapped = 0;
        var shared = new SharedRuntime<object>(() =>
        {
            Interlocked.Increment(ref created);
            if (Interlocked.Increment(ref inside) > 1)
            {
                Interlocked.Exchange(ref overlapped, 1);
            }

            Thread.Sleep(50);
            Interlocked.Decrement(ref inside);
            return new object();
        }, _ => null);

        var values = AllAtOnce(() => shared.Value);

        Assert.Equal(1, created);
        Assert.Equal(0, overlapped);
        Assert.All(values, v => Assert.Same(values[0], v));
    }

    [Fact]
    public void A_failure_to_create_is_remembered_and_given_to_every_caller_with_its_reason()
    {
        int created = 0;
        var shared = new SharedRuntime<object>(() =>
        {
            Interlocked.Increment(ref created);
            Thread.Sleep(20);
            throw new DllNotFoundException("libexample.so");
        }, e => e is DllNotFoundException ? "libexample.so not found" : null);

        var messages = AllAtOnce(() =>
        {
            try
            {
                _ = shared.Value;
                return "created";
            }
            catch (NativeCallException e)
            {
                return e.Message;
            }
        });

        Assert.Equal(1, created);
        Assert.All(messages, m => Assert.Equal("libexample.so not found", m));
    }

    /// <summary>
    /// Nothing else in this test process touches OpenCL, so these callers are its first: before the inventory, eight
    /// probes listing PoCL's devices together killed the process in a fifth of the runs or more.
    /// </summary>
    [Fact]
    public void Concurrent_first_probes_share_one_opencl_inventory()
    {
        var seen = AllAtOnce(() => (Report: OpenClProbe.Probe(), Inventory: OpenClInventory.Shared));
        var reports = seen.Select(s => s.Report).ToArray();

        // One inventory for the process, whichever caller got there first (two would mean two racing enumerations).
        Assert.All(seen, s => Assert.Same(seen[0].Inventory, s.Inventory));
        Assert.All(reports, r => Assert.Equal(reports[0].Searchable, r.Searchable));
        Assert.All(reports, r => Assert.Equal(reports[0].Unavailable, r.Unavailable));
        Assert.All(reports, r => Assert.Equal(reports[0].Devices, r.Devices));
        if (reports[0].Searchable)
        {
            Assert.Equal(OpenClInventory.Shared.Devices.Select(d => d.Name).Order(), reports[0].Devices.Select(d => d.Name).Order());
        }

        if (Environment.GetEnvironmentVariable("SHARDCAST_REQUIRE_OPENCL") == "1")
        {
            Assert.True(reports[0].Searchable, reports[0].Unavailable);
        }
    }

    private static T[] AllAtOnce<T>(Func<T> call)
    {
        using var start = new Barrier(Callers);
        var results = new T[Callers];
        var threads = Enumerable.Range(0, Callers).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = call();
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        return results;
    }
}
