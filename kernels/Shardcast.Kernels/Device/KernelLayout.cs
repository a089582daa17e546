namespace Shardcast.Kernels.Device;

/// <summary>Indices into the kernel's dims[], params[], terms[] and per-chain arrays; mirrors the #defines of Source/shardcast.cl.</summary>
internal static class KernelLayout
{
    public const int Partitions = 0;
    public const int Nodes = 1;
    public const int Stride = 2;
    public const int Zones = 3;
    public const int NodeWords = 4;
    public const int Groups = 5;
    public const int Affinity = 6;
    public const int Movable = 7;
    public const int Edges = 8;
    public const int MaxMoves = 9;
    public const int Slots = 10;
    public const int Wide = 11;
    public const int SwapThreshold = 12;
    public const int BiasThreshold = 13;
    public const int Chains = 14;
    public const int DimCount = 15;

    public const int MaxBytes = 0;
    public const int WeightBalance = 1;
    public const int WeightHeadroom = 2;
    public const int WeightMove = 3;
    public const int WeightAffinity = 4;
    public const int WeightLineage = 5;
    public const int Penalty = 6;
    public const int OverloadPenalty = 7;
    public const int ViolationPenalty = 8;
    public const int ParamCount = 9;

    public const int TermBalance = 0;
    public const int TermHeadroom = 1;
    public const int TermMigration = 2;
    public const int TermAffinity = 3;
    public const int TermLineage = 4;
    public const int TermOverload = 5;
    public const int TermViolations = 6;
    public const int TermEnergy = 7;
    public const int TermSafety = 8;
    public const int TermResourceBalance = 9;
    public const int TermPartitionMove = 10;
    public const int TermGroupMove = 11;
    public const int TermNodeMove = 12;
    public const int TermCount = 16;

    public const int ChainMoves = 0;
    public const int ChainViolations = 1;
    public const int ChainSlotOverflow = 2;
    public const int ChainMaxMoved = 3;
    public const int ChainInts = 4;

    public const int ChainDoubles = 2;

    public const int LongEvaluated = 0;
    public const int LongAccepted = 1;
    public const int LongUphillProposed = 2;
    public const int LongUphillAccepted = 3;
    public const int ChainLongs = 4;
}
