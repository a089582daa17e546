namespace Shardcast.Host.Commands;

/// <summary>The CLI's exit codes, stable for scripts.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int InternalError = 1;
    public const int BadInput = 2;

    /// <summary>`roadef-check`: the solution judged breaks a hard constraint.</summary>
    public const int Infeasible = 3;
}
