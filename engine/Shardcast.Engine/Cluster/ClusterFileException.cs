namespace Shardcast.Engine.Cluster;

/// <summary>A cluster file refused: <see cref="Field"/> is the JSON path of what was wrong, the message says why.</summary>
public sealed class ClusterFileException : Exception
{
    public ClusterFileException(string field, string reason)
        : base($"{field}: {reason}")
    {
        Field = field;
        Reason = reason;
    }

    public ClusterFileException()
        : this("$", "invalid cluster file")
    {
    }

    public ClusterFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "$";
        Reason = message;
    }

    public string Field { get; } = "$";

    public string Reason { get; } = string.Empty;
}
