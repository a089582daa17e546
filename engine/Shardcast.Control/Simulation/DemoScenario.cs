namespace Shardcast.Control.Simulation;

/// <summary>
/// The simulated cluster and day a policy comparison runs on (docs/demo.md). Time is simulated: a tick is one
/// minute, a step (the forecast's and the planners' grain) is <see cref="StepMinutes"/> ticks; the warm-up days are
/// history only (every policy starts from the same placement at hour 0 with them behind it).
/// </summary>
public sealed record DemoScenario
{
    public ulong Seed { get; init; } = 1;

    /// <summary>Simulated hours compared.</summary>
    public double Hours { get; init; } = 24;

    /// <summary>Nodes at the start: the cluster static placement is sized with (its peak demand near their capacity).</summary>
    public int Nodes { get; init; } = 8;

    public int Partitions { get; init; } = 64;

    public int Tenants { get; init; } = 3;

    /// <summary>Minutes per step: history, forecasts and plans are per step.</summary>
    public int StepMinutes { get; init; } = 5;

    /// <summary>Days of history before hour 0 (what forecasts learn from).</summary>
    public int WarmupDays { get; init; } = 3;

    /// <summary>Each node's capacity in operations per second (utilisation 1).</summary>
    public double NodeCapacity { get; init; } = 1_000;

    /// <summary>The peak of the whole cluster's demand over the day as a share of the starting nodes' capacity.</summary>
    public double PeakDemandShare { get; init; } = 0.7;

    /// <summary>The utilisation above which a node is considered hot (reactive's trigger, predictive's objective).</summary>
    public double Theta { get; init; } = 0.8;

    /// <summary>What one move copies per second (every policy's moves alike).</summary>
    public double MigrationBytesPerSecond { get; init; } = 50e6;

    /// <summary>While a partition is copied, its source and its target each carry this share of its load on top (reading, writing, catching up).</summary>
    public double CopyLoadShare { get; init; } = 0.25;

    /// <summary>Moves a node takes part in at once; further moves wait.</summary>
    public int MovesPerNode { get; init; } = 2;

    /// <summary>Minutes between a policy asking for a node and the node taking load.</summary>
    public int ProvisionMinutes { get; init; } = 10;

    /// <summary>The hour a node fails (its partitions fail over to the others at once); null: none.</summary>
    public double? FailureHour { get; init; } = 9.5;

    /// <summary>The hour a replacement node joins every policy's cluster; null: none.</summary>
    public double? AddHour { get; init; } = 13;

    /// <summary>Flash crowds over the compared day (more in the warm-up, in proportion).</summary>
    public int FlashCrowdsPerDay { get; init; } = 4;

    public int TicksPerStep => StepMinutes;

    public int WarmupSteps => WarmupDays * 24 * 60 / StepMinutes;

    /// <summary>Steps compared (hour 0 onwards).</summary>
    public int Steps => (int)Math.Round(Hours * 60 / StepMinutes);

    public int Ticks => Steps * TicksPerStep;

    public int StepsPerDay => 24 * 60 / StepMinutes;

    public void Validate()
    {
        string? problem =
            !(Hours is >= 1 and <= 24 * 14) ? $"--hours must be 1 to 336 (simulated), found {Hours}" :
            Nodes is < 2 or > 256 ? $"--nodes must be 2 to 256, found {Nodes}" :
            Partitions < Nodes || Partitions > 4096 ? $"--partitions must be the node count ({Nodes}) to 4096, found {Partitions}" :
            Tenants is < 1 or > 16 ? $"tenants must be 1 to 16, found {Tenants}" :
            StepMinutes is < 1 or > 60 || 24 * 60 % StepMinutes != 0 ? $"the step must be 1 to 60 minutes and divide a day, found {StepMinutes}" :
            WarmupDays is < 0 or > 28 ? $"warm-up days must be 0 to 28, found {WarmupDays}" :
            !(NodeCapacity > 0 && double.IsFinite(NodeCapacity)) ? $"the node capacity must be a positive number, found {NodeCapacity}" :
            !(PeakDemandShare is > 0 and <= 2) ? $"the peak demand share must be above 0 and at most 2, found {PeakDemandShare}" :
            !(Theta is > 0 and <= 1) ? $"theta must be in (0, 1], found {Theta}" :
            !(MigrationBytesPerSecond > 0) ? $"the migration bandwidth must be positive, found {MigrationBytesPerSecond}" :
            !(CopyLoadShare >= 0) ? $"the copy load share must be 0 or more, found {CopyLoadShare}" :
            MovesPerNode < 1 ? $"moves per node must be at least 1, found {MovesPerNode}" :
            ProvisionMinutes < 0 ? $"provisioning minutes must be 0 or more, found {ProvisionMinutes}" :
            FailureHour is { } f && !(f >= 0 && f < Hours) ? $"the failure hour must lie in the simulated hours (0 to {Hours}), found {f}" :
            AddHour is { } a && !(a >= 0 && a < Hours) ? $"the hour a node joins must lie in the simulated hours (0 to {Hours}), found {a}" :
            FlashCrowdsPerDay is < 0 or > 1000 ? $"flash crowds per day must be 0 to 1000, found {FlashCrowdsPerDay}" :
            null;
        if (problem is not null)
        {
            throw new ArgumentException(problem);
        }
    }
}
