namespace Shardcast.Engine.Roadef;

/// <summary>A model, assignment or solution file that does not follow the challenge's format; says where and why.</summary>
public sealed class RoadefFormatException : Exception
{
    public RoadefFormatException()
    {
    }

    public RoadefFormatException(string message)
        : base(message)
    {
    }

    public RoadefFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
