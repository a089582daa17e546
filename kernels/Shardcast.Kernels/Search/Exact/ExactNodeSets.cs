namespace Shardcast.Kernels.Search.Exact;

/// <summary>What the hosts say about the exact node sets: whether CBC is there to solve them, and how its solves went.</summary>
public static class ExactNodeSets
{
    /// <summary>One line: the CBC command in use, or why the exact node sets are off.</summary>
    public static string Status => CbcCommand.Default is { } cbc
        ? $"COIN-OR CBC {cbc.Version ?? "(version unknown)"} at {cbc.Executable}, one process per node set, in lane 0 of ruin and recreate where the cost is linear with hard capacity"
        : $"off: {CbcCommand.Unavailable}";

    /// <summary>One line on the solves this process ran: how many, how many failed and the last failure's reason.</summary>
    public static string Tally => CbcCommand.Default is { } cbc
        ? cbc.Failed == 0
            ? $"{cbc.Solved} node sets solved, none failed"
            : $"{cbc.Solved} node sets solved, {cbc.Failed} failed (each lost one node set; last: {cbc.LastFailure})"
        : "none solved";
}
