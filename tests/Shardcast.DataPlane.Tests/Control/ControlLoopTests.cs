using Shardcast.Control;
using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Garnet;
using Shardcast.DataPlane.Layout;
using Shardcast.DataPlane.Store;
using Shardcast.DataPlane.Workload;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;

namespace Shardcast.DataPlane.Tests.Control;

/// <summary>
/// The control loop on an embedded Garnet cluster under a workload: a node whose forecast goes above theta is
/// relieved by plans carried out while the clients work, its hot ranges split, and nothing acknowledged is lost; a store whose forecast
/// stays within theta is left alone. The history and the cluster file it plans from, piece by piece.
/// </summary>
public sealed class ControlLoopTests
{
    private static async Task<(EmbeddedGarnetCluster Cluster, ManagedStore Store, string Journal)> StartAsync()
    {
        var cluster = await EmbeddedGarnetCluster.StartAsync(new EmbeddedGarnetOptions { Nodes = 3 });
        string journal = Path.Combine(Path.GetTempPath(), $"shardcast-loop-{Guid.NewGuid():N}.journal");
        return (cluster, await ManagedStore.TakeOnAsync("loop", cluster.Store, owner: null, journal), journal);
    }

    [Fact]
    public async Task A_node_forecast_above_theta_is_relieved_while_clients_work_and_nothing_is_lost()
    {
        var (cluster, store, journal) = await StartAsync();
        await using var _ = cluster;
        try
        {
            await using var workload = new StoreWorkload(store.Client, new WorkloadOptions { Keys = 3_000, OperationsPerSecond = 1_500, HotOperationShare = 0.75, HotLastSlot = 2_729, Seed = 4 });
            await workload.PreloadAsync();
            workload.Start();
            var loop = new ControlLoop(store, new ControlOptions { Step = TimeSpan.FromSeconds(1), Horizon = 4, Partitions = 32, StartingUtilisation = 0.7, SplitShare = 0.1, Plan = new PlanOptions { TimeMs = 200, AdviseScaling = false } });
            var reports = await loop.RunAsync(cycles: 14);
            await loop.DrainAsync();
            var after = await loop.RunAsync(cycles: 2);

            // The two cycles after may act again (the workload keeps its hot region): their execution ends before the
            // slot map is read, or a move still in flight would read as a slot left in transit.
            await loop.DrainAsync();
            await workload.StopAsync();
            var lost = await workload.CheckAsync();

            Assert.Empty(lost);
            var acted = reports.Where(r => r.Decision == "act").ToList();
            Assert.NotEmpty(acted);
            Assert.All(acted, r =>
            {
                Assert.True(r.ForecastPeak > 0.8, $"acted at a forecast peak of {r.ForecastPeak:P1}");
                Assert.True(r.ForecastPeak - r.PlannedPeak >= 0.05, $"acted for a gain of {r.ForecastPeak - r.PlannedPeak:P1}");
                Assert.True(r.Moves > 0);
            });
            Assert.Contains(reports, r => r.Decision == "executing");
            // The hot ranges were cut finer than the even cut (32, and 2 more where ownership changes inside one).
            Assert.Contains(reports, r => r.Partitions > 34);
            double before = reports[0].Measured.Values.Max();
            double last = after[^1].Measured.Values.Max();
            Assert.True(last < before - 0.1, $"the hottest node measured {before:P0} at first and {last:P0} at the end");
            Assert.Empty((await store.Store.ReadSlotMapAsync()).InTransit);
        }
        finally
        {
            await store.DisposeAsync();
            File.Delete(journal);
        }
    }

    [Fact]
    public async Task A_store_whose_forecast_stays_within_theta_is_left_alone()
    {
        var (cluster, store, journal) = await StartAsync();
        await using var _ = cluster;
        try
        {
            await using var workload = new StoreWorkload(store.Client, new WorkloadOptions { Keys = 2_000, OperationsPerSecond = 1_000, HotOperationShare = 0.1, Seed = 5 });
            await workload.PreloadAsync();
            workload.Start();
            var mapBefore = await store.Store.ReadSlotMapAsync();
            var loop = new ControlLoop(store, new ControlOptions { Step = TimeSpan.FromSeconds(1), Horizon = 4, NodeCapacity = 1_000, Plan = new PlanOptions { TimeMs = 200, AdviseScaling = false } });
            var reports = await loop.RunAsync(cycles: 5);
            await workload.StopAsync();

            Assert.All(reports, r => Assert.NotEqual("act", r.Decision));
            Assert.All(reports, r => Assert.True(r.Measured.Values.Max() < 0.8, $"{r.Measured.Values.Max():P0}"));
            var mapAfter = await store.Store.ReadSlotMapAsync();
            for (int slot = 0; slot < HashSlots.Count; slot += 97)
            {
                Assert.Equal(mapBefore.Owner(slot)!.Id, mapAfter.Owner(slot)!.Id);
            }

            Assert.Empty(await workload.CheckAsync());
        }
        finally
        {
            await store.DisposeAsync();
            File.Delete(journal);
        }
    }

    [Fact]
    public async Task A_node_that_stops_answering_leaves_steps_unobserved_and_the_loop_goes_on()
    {
        var (cluster, store, journal) = await StartAsync();
        await using var _ = cluster;
        try
        {
            var loop = new ControlLoop(store, new ControlOptions { Step = TimeSpan.FromSeconds(0.5), Horizon = 2, NodeCapacity = 100, Plan = new PlanOptions { TimeMs = 50, AdviseScaling = false } });
            Assert.NotEqual("unobserved", (await loop.RunAsync(cycles: 1))[0].Decision);
            cluster.Kill(2);
            var reports = await loop.RunAsync(cycles: 3);
            Assert.Equal(3, reports.Count);
            Assert.Contains(reports, r => r.Decision == "unobserved" && !string.IsNullOrEmpty(r.Problem));
        }
        finally
        {
            await store.DisposeAsync();
            File.Delete(journal);
        }
    }

    /// <summary>
    /// A flash crowd that arrives while the loop's own plan is being carried out (slowly: the throttle lets a few
    /// hundred bytes a second through) is planned for at once from the store as it stands, slots in transit counted
    /// at their source, and the new plan replaces the moves not yet started; nothing acknowledged is lost and the
    /// execution, cancelled at the end, leaves no slot in transit.
    /// </summary>
    [Fact]
    public async Task A_flash_crowd_during_an_execution_replans_it_at_once()
    {
        var (cluster, store, journal) = await StartAsync();
        await using var _ = cluster;
        try
        {
            await using var workload = new StoreWorkload(store.Client, new WorkloadOptions { Keys = 2_000, OperationsPerSecond = 1_500, HotOperationShare = 0.1, HotLastSlot = 2_729, Seed = 11 });
            await workload.PreloadAsync();
            workload.Start();
            // Every node is above theta from the start (500 ops/s each on 550), so the first, scheduled, cycle acts;
            // the next scheduled one is far off, so only an anomaly can plan again.
            var loop = new ControlLoop(store, new ControlOptions
            {
                Step = TimeSpan.FromSeconds(0.25), PlanEvery = 100_000, NodeCapacity = 550, Horizon = 2, MinGain = 0,
                Plan = new PlanOptions { TimeMs = 50, AdviseScaling = false },
                Executor = new ExecutorOptions { BytesPerSecond = 300, MaxConcurrentMoves = 1 },
            });
            var calm = await loop.RunAsync(cycles: 60);
            workload.HotOperationShare = 0.9;
            var crowd = await loop.RunAsync(cycles: 8);
            var execution = store.Current.Execution!;
            execution.Cancel();
            await loop.DrainAsync();
            await workload.StopAsync();
            var lost = await workload.CheckAsync();

            Assert.Equal("act", calm[0].Decision);
            Assert.All(calm.Skip(1), r => Assert.Contains(r.Decision, new[] { "executing", "replanned" }));
            var replanned = crowd.FirstOrDefault(r => r.Decision == "replanned");
            Assert.True(replanned is not null, "no cycle replanned: " + string.Join("; ", crowd.Select(r => $"{r.Cycle} {r.Decision} {r.Trigger} {r.Anomalies.Count} alarms")));
            Assert.Equal("anomaly", replanned.Trigger);
            Assert.NotEmpty(replanned.Anomalies);
            Assert.True(replanned.ForecastPeak > 0.8 && replanned.Moves > 0, $"peak {replanned.ForecastPeak:P0}, {replanned.Moves} moves");
            // The same execution carried the new plan: it says so in its events, and the loop started no other.
            Assert.Contains(execution.EventsAfter(0), e => e.Kind == ExecutionEventKinds.Replanned);
            Assert.Same(execution, store.Current.Execution);
            Assert.Empty(lost);
            Assert.Empty((await store.Store.ReadSlotMapAsync()).InTransit);
        }
        finally
        {
            await store.DisposeAsync();
            File.Delete(journal);
        }
    }

    [Fact]
    public async Task A_flash_crowd_between_planned_cycles_raises_an_alarm_on_its_ranges_and_plans_at_once()
    {
        var (cluster, store, journal) = await StartAsync();
        await using var _ = cluster;
        try
        {
            await using var workload = new StoreWorkload(store.Client, new WorkloadOptions { Keys = 2_000, OperationsPerSecond = 1_500, HotOperationShare = 0.1, HotLastSlot = 2_729, Seed = 7 });
            await workload.PreloadAsync();
            workload.Start();
            // Only the first cycle is on the schedule; a capacity far above the load so that no plan is carried out.
            var loop = new ControlLoop(store, new ControlOptions { Step = TimeSpan.FromSeconds(0.25), PlanEvery = 100_000, NodeCapacity = 1e6, Horizon = 2, Plan = new PlanOptions { TimeMs = 50, AdviseScaling = false } });
            var calm = await loop.RunAsync(cycles: 60);
            workload.HotOperationShare = 0.9;
            var crowd = await loop.RunAsync(cycles: 8);
            await workload.StopAsync();

            Assert.Equal("schedule", calm[0].Trigger);
            Assert.All(calm.Skip(1).Where(r => r.Trigger is null), r => Assert.Equal("observed", r.Decision));
            var first = crowd.First(r => r.Anomalies.Count > 0);
            Assert.True(first.Cycle <= crowd[0].Cycle + 2, $"the first alarm came at cycle {first.Cycle}, the crowd at {crowd[0].Cycle}");
            Assert.Equal("anomaly", first.Trigger);
            Assert.False(double.IsNaN(first.ForecastPeak), "an anomaly's cycle plans");
            // Ranges the crowd went to (slots 0-2729) are among those that alarmed in its first steps.
            Assert.Contains(crowd.Take(3).SelectMany(r => r.Anomalies), a => a.Range.First <= 2_729);
            // One event, one alarm per range: the hold-off keeps the ranges that alarmed from alarming again.
            var alarmed = crowd.SelectMany(r => r.Anomalies).GroupBy(a => a.Partition);
            Assert.All(alarmed, g => Assert.Single(g));
        }
        finally
        {
            await store.DisposeAsync();
            File.Delete(journal);
        }
    }

    [Fact]
    public void The_schedule_plans_every_n_steps_at_once_on_an_anomaly_and_keeps_one_seen_while_it_could_not_plan()
    {
        var schedule = new PlanSchedule(planEvery: 4);
        string? Step(bool anomaly, bool canPlan = true)
        {
            schedule.Step(anomaly);
            string? due = canPlan ? schedule.Due : null;
            if (due is not null)
            {
                schedule.Planned();
            }

            return due;
        }

        Assert.Equal("schedule", Step(false));           // the first step plans
        Assert.Null(Step(false));
        Assert.Null(Step(false));
        Assert.Null(Step(false));
        Assert.Equal("schedule", Step(false));
        Assert.Equal("anomaly", Step(true));             // between scheduled steps: at once
        Assert.Null(Step(false));                        // and the schedule counts from there
        // An anomaly while an execution runs (the loop cannot plan) is answered at the first step it can.
        Assert.Null(Step(true, canPlan: false));
        Assert.Null(Step(false, canPlan: false));
        Assert.Equal("schedule", Step(false));           // four steps since the last plan: the schedule is due as well
        Assert.Null(Step(true, canPlan: false));
        Assert.Equal("anomaly", Step(false));
        Assert.Null(Step(false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanSchedule(0));
    }

    [Fact]
    public void The_watch_cuts_the_slot_space_evenly_and_names_the_ranges_that_alarm()
    {
        var watch = new PartitionAnomalyWatch(4, new Shardcast.Models.Anomaly.DetectorOptions { MaxHistory = 100, HoldOff = 0 });
        Assert.Equal([new SlotRange(0, 4095), new SlotRange(4096, 8191), new SlotRange(8192, 12287), new SlotRange(12288, 16383)], watch.Ranges);
        var random = new Random(3);
        IReadOnlyList<PartitionAnomaly> alarms = [];
        for (int step = 0; step < 101; step++)
        {
            var operations = new long[HashSlots.Count];
            for (int slot = 0; slot < HashSlots.Count; slot += 64)
            {
                operations[slot] = 10 + random.Next(3);
            }

            if (step == 100)
            {
                operations[9_000] = 5_000; // a burst on the third range
            }

            alarms = watch.Observe(new SlotTrafficWindow(operations, new long[HashSlots.Count], TimeSpan.FromSeconds(1)));
        }

        var alarm = Assert.Single(alarms);
        Assert.Equal("slots:8192-12287", alarm.Partition);
        Assert.True(alarm.OperationsPerSecond > 5_000);
    }

    [Fact]
    public void The_history_sums_a_range_over_its_slots_step_by_step_and_keeps_the_newest()
    {
        var history = new SlotLoadHistory(3);
        for (int step = 1; step <= 4; step++)
        {
            var operations = new long[HashSlots.Count];
            operations[10] = 10 * step;
            operations[11] = 20 * step;
            operations[500] = 1_000;
            history.Append(new SlotTrafficWindow(operations, new long[HashSlots.Count], TimeSpan.FromSeconds(2)));
        }

        Assert.Equal(3, history.Count);
        Assert.Equal([30.0, 45.0, 60.0], history.Of(new SlotRange(0, 100)));
        Assert.Equal([500.0, 500.0, 500.0], history.Of(new SlotRange(500, 500)));
        Assert.Equal([0.0, 0.0, 0.0], history.Of(new SlotRange(12, 499)));
    }

    [Fact]
    public async Task The_cluster_file_carries_each_partitions_history_and_plans_for_its_forecast()
    {
        var (cluster, store, journal) = await StartAsync();
        await using var _ = cluster;
        try
        {
            var window = new SlotTrafficWindow(new long[HashSlots.Count], new long[HashSlots.Count], TimeSpan.FromSeconds(1));
            var snapshot = await StoreSnapshot.ReadAsync(store.Store, 6, window);
            // A rising history on the first partition only.
            var first = snapshot.Partitions[0].Partition;
            var input = new ForecastInput(p => p == first ? [10, 20, 30, 40, 50, 60] : [5, 5, 5, 5, 5, 5], 2, 5, 0.9);
            var spec = ClusterFileReader.Parse(StoreClusterFile.ToUtf8(snapshot, 100, null, input));

            Assert.Equal(5, spec.Horizon.Steps);
            Assert.Equal(0.9, spec.Objective.Quantile);
            var plan = Planner.Plan(spec, new PlanOptions { StepsPerChain = 2_000, AdviseScaling = false });
            Assert.NotNull(plan.Input.ForecastServed);
            // The rising partition is forecast to go on rising past its last value; the flat ones stay near 5.
            Assert.True(plan.Input.Load[0].Max() > 60, string.Join(", ", plan.Input.Load[0]));
            Assert.InRange(plan.Input.Load[1].Max(), 4, 7);
        }
        finally
        {
            await store.DisposeAsync();
            File.Delete(journal);
        }
    }
}
