namespace Shardcast.DataPlane.Execution;

/// <summary>The moves an executor carries out, checked: no two moves share a slot or a partition, no move stays put.</summary>
public sealed class MigrationPlan
{
    public MigrationPlan(IReadOnlyList<RangeMove> moves)
    {
        ArgumentNullException.ThrowIfNull(moves);
        var partitions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var move in moves)
        {
            if (move.Source == move.Target)
            {
                throw new ArgumentException($"the move of {move.Partition} goes from node {move.Source} to itself", nameof(moves));
            }

            if (move.Wave < 0 || !double.IsFinite(move.Bytes) || move.Bytes < 0)
            {
                throw new ArgumentException($"the move of {move.Partition} has wave {move.Wave} and bytes {move.Bytes}: waves and bytes are not negative", nameof(moves));
            }

            if (!partitions.Add(move.Partition))
            {
                throw new ArgumentException($"partition {move.Partition} is moved twice", nameof(moves));
            }
        }

        var ordered = moves.OrderBy(m => m.Range.First).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Range.First <= ordered[i - 1].Range.Last)
            {
                throw new ArgumentException($"the moves of {ordered[i - 1].Partition} (slots {ordered[i - 1].Range}) and {ordered[i].Partition} (slots {ordered[i].Range}) share slots", nameof(moves));
            }
        }

        Moves = [.. moves.OrderBy(m => m.Wave)];
    }

    /// <summary>The moves, ordered by wave.</summary>
    public IReadOnlyList<RangeMove> Moves { get; }

    public double Bytes => Moves.Sum(m => m.Bytes);

    public static MigrationPlan Empty { get; } = new([]);
}
