namespace Shardcast.Engine.Planning;

/// <summary>A request the planner refuses (an unavailable backend, an option out of range): the caller's input, not a bug.</summary>
public sealed class PlanningException : Exception
{
    public PlanningException(string message)
        : base(message)
    {
    }

    public PlanningException()
    {
    }

    public PlanningException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
