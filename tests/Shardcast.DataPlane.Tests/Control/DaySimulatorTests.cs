using Shardcast.Control.Simulation;

namespace Shardcast.DataPlane.Tests.Control;

/// <summary>The demo's simulation: demand, migrations, events and figures on hand-made inputs whose answers are known.</summary>
public sealed class DaySimulatorTests
{
    /// <summary>Two nodes of capacity 100, four partitions, one hour in 5-minute steps, no warm-up, no events.</summary>
    private static readonly DemoScenario Small = new()
    {
        Hours = 1,
        Nodes = 2,
        Partitions = 4,
        Tenants = 1,
        WarmupDays = 0,
        NodeCapacity = 100,
        Theta = 0.8,
        MigrationBytesPerSecond = 1e6,
        CopyLoadShare = 0.5,
        MovesPerNode = 1,
        ProvisionMinutes = 0,
        FailureHour = null,
        AddHour = null,
        FlashCrowdsPerDay = 0,
    };

    /// <summary>Constant demand per partition over the hour.</summary>
    private static DemandSet Constant(DemoScenario s, double[] load, double[] bytes)
    {
        var rows = new double[s.Steps * s.Partitions];
        for (int step = 0; step < s.Steps; step++)
        {
            load.CopyTo(rows, step * s.Partitions);
        }

        return new DemandSet("test", s.Partitions, 0, s.Steps, rows, bytes, new int[s.Partitions], []);
    }

    private sealed class Scripted(Func<ClusterView, PolicyActions> decide) : IRebalancePolicy
    {
        public string Name => "scripted";

        public ValueTask<PolicyActions> DecideAsync(ClusterView view, CancellationToken cancellation) => ValueTask.FromResult(decide(view));
    }

    [Fact]
    public async Task Static_placement_counts_every_overloaded_node_minute_and_bills_every_node()
    {
        // Heaviest first to the least loaded: 90 and 10 on one node (100), 60 and 50 on the other (110, overloaded).
        var demand = Constant(Small, [90, 60, 50, 10], [1e9, 1e9, 1e9, 1e9]);
        var owner = DaySimulator.InitialPlacement(Small, demand);
        Assert.Equal(owner[0], owner[3]);
        Assert.Equal(owner[1], owner[2]);

        var run = await new DaySimulator(Small, demand).RunAsync(new StaticPolicy());
        Assert.Equal(60, run.OverloadNodeMinutes);
        Assert.Equal(120, run.OverThetaNodeMinutes);
        Assert.Equal(2, run.NodeHours, 9);
        Assert.Empty(run.Moves);
        Assert.Equal(DaySimulator.TimeoutMs, run.P99LatencyMs);
        Assert.All(run.NodeUtilisation[owner[1]], u => Assert.Equal(1.1, u, 9));
    }

    [Fact]
    public async Task A_move_copies_its_bytes_at_the_bandwidth_loads_both_ends_and_then_serves_from_the_target()
    {
        // 240 MB at 1 MB/s: four minutes of copying, then the partition is served by the other node.
        var demand = Constant(Small, [40, 20, 20, 0], [240e6, 1e6, 1e6, 1e6]);
        var owner = DaySimulator.InitialPlacement(Small, demand);
        int from = owner[0], to = 1 - from;
        var run = await new DaySimulator(Small, demand).RunAsync(new Scripted(v => v.Tick == 0 ? Move(0, to) : PolicyActions.None));

        var move = Assert.Single(run.Moves);
        Assert.Equal((0, from, to, 0, 4), (move.Partition, move.From, move.To, move.StartTick, move.EndTick!.Value));
        Assert.Equal(240e6, run.BytesMoved, 3);

        // First step (5 minutes): 4 minutes copying (source 40 + 20 copy, target 40 + 20 copy), 1 minute after (0 and 80).
        Assert.Equal(((4 * 60.0) + 0) / 5 / 100, run.NodeUtilisation[from][0], 9);
        Assert.Equal(((4 * 60.0) + 80) / 5 / 100, run.NodeUtilisation[to][0], 9);
        Assert.Equal(0.8, run.NodeUtilisation[to][1], 9);
        Assert.Equal(0, run.OverloadNodeMinutes);
    }

    [Fact]
    public async Task Moves_beyond_a_nodes_concurrency_wait_and_moves_to_gone_or_same_nodes_are_refused()
    {
        var demand = Constant(Small, [10, 10, 10, 10], [120e6, 120e6, 120e6, 120e6]);
        var owner = DaySimulator.InitialPlacement(Small, demand);
        int[] onFirst = [.. Enumerable.Range(0, 4).Where(p => owner[p] == 0)];
        var run = await new DaySimulator(Small, demand).RunAsync(new Scripted(v =>
        {
            if (v.Tick != 0)
            {
                return PolicyActions.None;
            }

            var actions = new PolicyActions();
            actions.Moves.Add(new SimMove(onFirst[0], 1));
            actions.Moves.Add(new SimMove(onFirst[1], 1));
            actions.Moves.Add(new SimMove(onFirst[0], 1)); // already moving
            actions.Moves.Add(new SimMove(owner.ToList().IndexOf(1), 1)); // already there
            actions.Moves.Add(new SimMove(0, 7)); // no such node
            return actions;
        }));

        Assert.Equal(3, run.RefusedMoves);
        var moves = run.Moves.OrderBy(m => m.StartTick).ToList();
        Assert.Equal(2, moves.Count);
        Assert.Equal((0, 2), (moves[0].StartTick, moves[0].EndTick!.Value));
        Assert.Equal((2, 4), (moves[1].StartTick, moves[1].EndTick!.Value)); // one move per node at once
    }

    [Fact]
    public async Task A_failed_nodes_partitions_fail_over_at_once_and_it_stops_counting()
    {
        var scenario = Small with { Nodes = 3, Partitions = 6, FailureHour = 0.5 };
        var demand = Constant(scenario, [30, 30, 30, 30, 30, 30], [1e9, 1e9, 1e9, 1e9, 1e9, 1e9]);
        var run = await new DaySimulator(scenario, demand).RunAsync(new StaticPolicy());

        var failed = Assert.Single(run.Nodes, n => n.Failed);
        Assert.Equal(30, failed.GoneTick);
        Assert.Equal(2.5, run.NodeHours, 9);
        Assert.DoesNotContain(failed, run.OwnerAtStep[^1].Select(o => run.Nodes[o]));
        Assert.Empty(run.Moves); // failover is not a copy
        Assert.Equal(2 * 30, run.OverThetaNodeMinutes); // 90 on each survivor after: above theta, within capacity
        Assert.Equal(0, run.OverloadNodeMinutes);
    }

    [Fact]
    public async Task Reactive_waits_for_a_hot_node_and_then_moves_to_the_coolest()
    {
        // Load ramps on one partition: reactive moves nothing while every node is under theta.
        var s = Small with { Hours = 2 };
        var rows = new double[s.Steps * s.Partitions];
        for (int step = 0; step < s.Steps; step++)
        {
            rows[(step * 4) + 0] = step < 12 ? 30 : 75;
            rows[(step * 4) + 1] = 30;
            rows[(step * 4) + 2] = 10;
            rows[(step * 4) + 3] = 10;
        }

        var demand = new DemandSet("test", 4, 0, s.Steps, rows, [1e6, 1e6, 1e6, 1e6], new int[4], []);
        var run = await new DaySimulator(s, demand).RunAsync(new ReactivePolicy());
        var move = Assert.Single(run.Moves);
        Assert.True(move.StartTick > 60, $"reactive moved at minute {move.StartTick}, before any node was above theta");
        Assert.NotEqual(move.From, move.To);
        Assert.True(run.OverThetaNodeMinutes > 0);
    }

    [Fact]
    public async Task Slot_count_evens_partitions_out_onto_a_node_that_joins()
    {
        var scenario = Small with { Hours = 2, Partitions = 6, AddHour = 0.5 };
        var demand = Constant(scenario, [10, 10, 10, 10, 10, 10], [1e6, 1e6, 1e6, 1e6, 1e6, 1e6]);
        var run = await new DaySimulator(scenario, demand).RunAsync(new SlotCountPolicy());
        var last = run.OwnerAtStep[^1];
        Assert.Equal(3, run.Nodes.Count);
        Assert.All(Enumerable.Range(0, 3), n => Assert.Equal(2, last.Count(o => o == n)));
        Assert.All(run.Moves, m => Assert.Equal(2, m.To));
        Assert.All(run.Moves, m => Assert.Equal("scale_out", m.Reason));
    }

    [Fact]
    public async Task A_drained_node_is_emptied_then_leaves_and_an_added_node_takes_load_only_once_provisioned()
    {
        var scenario = Small with { Hours = 2, ProvisionMinutes = 10 };
        var demand = Constant(scenario, [10, 10, 10, 10], [60e6, 60e6, 60e6, 60e6]);
        var owner = DaySimulator.InitialPlacement(scenario, demand);
        var run = await new DaySimulator(scenario, demand).RunAsync(new Scripted(v =>
        {
            var actions = new PolicyActions();
            if (v.Tick == 0)
            {
                actions.AddNodes = 1;
            }
            else if (v.Tick == 1)
            {
                actions.Drain.Add(0);
                actions.Moves.AddRange(Enumerable.Range(0, 4).Where(p => owner[p] == 0).Select(p => new SimMove(p, 2)));
            }

            return actions;
        }));

        Assert.All(run.Moves, m => Assert.True(m.StartTick >= 10, $"a move to the new node started at minute {m.StartTick}, before it was ready"));
        Assert.All(run.Moves, m => Assert.Equal("drain", m.Reason));
        Assert.NotNull(run.Nodes[0].GoneTick);
        Assert.False(run.Nodes[0].Failed);
        Assert.True(run.NodeHours < 3 * 2);
    }

    [Fact]
    public void Synthetic_demand_is_a_function_of_the_seed_with_the_days_base_peak_at_the_share_asked()
    {
        var scenario = new DemoScenario { FlashCrowdsPerDay = 0, Tenants = 1, Seed = 3 };
        var a = SyntheticDemand.Generate(scenario);
        var b = SyntheticDemand.Generate(scenario);
        var c = SyntheticDemand.Generate(scenario with { Seed = 4 });
        Assert.Equal(a.Load, b.Load);
        Assert.NotEqual(a.Load, c.Load);
        Assert.Equal(scenario.WarmupSteps + scenario.Steps, a.Load.Length / scenario.Partitions);

        // Hot spots ride on top of the scaled base: the peak is at least the share asked, and not far above it.
        double asked = scenario.PeakDemandShare * scenario.Nodes * scenario.NodeCapacity;
        Assert.InRange(a.PeakTotal(), asked, asked + (0.25 * scenario.NodeCapacity * scenario.Tenants));
        Assert.Contains(a.Events, e => e.Kind == "hot_spot");
        Assert.All(a.Load, v => Assert.True(v >= 0 && double.IsFinite(v)));

        // The daily cycle: the quietest hour is well under the busiest.
        var hourly = Enumerable.Range(0, 24).Select(h => Enumerable.Range(h * 12, 12).Average(s => a.At(s).ToArray().Sum())).ToArray();
        Assert.True(hourly.Min() < 0.5 * hourly.Max(), $"quietest hour {hourly.Min():0}, busiest {hourly.Max():0}");
    }

    [Fact]
    public void Fewer_partitions_than_tenants_leave_no_tenant_empty()
    {
        var demand = SyntheticDemand.Generate(new DemoScenario { Nodes = 2, Partitions = 2, Tenants = 3, Hours = 1, WarmupDays = 1, FailureHour = null, AddHour = null });
        Assert.Equal([0, 1], demand.Tenant);
        Assert.Equal(2, demand.Events.Select(e => demand.Tenant[e.Partition]).Distinct().Count());
    }

    [Fact]
    public void A_trace_folder_is_replayed_scaled_clipped_and_its_bad_files_named()
    {
        string folder = Directory.CreateTempSubdirectory("shardcast-trace-").FullName;
        try
        {
            File.WriteAllLines(Path.Combine(folder, "a.csv"), ["timestamp,value", .. Enumerable.Range(0, 500).Select(i => $"2015-01-01 00:{i % 60:00}:00,{(i == 250 ? 1000 : 1 + (i % 7))}")]);
            File.WriteAllLines(Path.Combine(folder, "b.csv"), ["timestamp,value", "2015-01-01 00:00:00,oops"]);
            var scenario = new DemoScenario { Partitions = 8, Nodes = 2, Hours = 2, WarmupDays = 0, FailureHour = null, AddHour = null };
            var demand = TraceDemand.Load(folder, scenario);
            Assert.Contains("1 series, 1 refused", demand.Source, StringComparison.Ordinal);
            Assert.Equal(scenario.PeakDemandShare * 2 * scenario.NodeCapacity, demand.PeakTotal(), 6);

            // The spike of 1,000 (about 250 times the mean) is clipped at 4 times the mean before scaling.
            double[] first = [.. Enumerable.Range(0, scenario.Steps).Select(s => demand.At(s)[0])];
            Assert.True(first.Max() / first.Average() < 4.5, $"the spike was not clipped: {first.Max()} against a mean of {first.Average()}");

            var none = Directory.CreateTempSubdirectory("shardcast-trace-empty-").FullName;
            var e = Assert.Throws<ArgumentException>(() => TraceDemand.Load(none, scenario));
            Assert.Contains("no .csv files", e.Message, StringComparison.Ordinal);
            Directory.Delete(none);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    [Theory]
    [InlineData(0, 4, "--hours must be 1 to 336")]
    [InlineData(24, 1, "--partitions must be the node count")]
    public void Scenarios_out_of_range_are_refused_naming_the_option(double hours, int partitions, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => (new DemoScenario { Hours = hours, Partitions = partitions }).Validate());
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_latency_estimate_grows_with_utilisation_and_with_the_backlog_an_overload_leaves()
    {
        double idle = DaySimulator.P99LatencyMs(100, 1000, 0), busy = DaySimulator.P99LatencyMs(900, 1000, 0), behind = DaySimulator.P99LatencyMs(900, 1000, 5000);
        Assert.Equal(Math.Log(100) / 900 * 1000, idle, 9);
        Assert.True(busy > 5 * idle);
        Assert.Equal(busy + 5000, behind, 9);
        Assert.Equal(DaySimulator.TimeoutMs, DaySimulator.P99LatencyMs(2000, 1000, 1e9));
    }

    private static PolicyActions Move(int partition, int target)
    {
        var actions = new PolicyActions();
        actions.Moves.Add(new SimMove(partition, target));
        return actions;
    }
}
