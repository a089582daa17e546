using Spectre.Console;

namespace Shardcast.Host.Commands;

/// <summary>Where long commands draw live progress: standard error, when it is a terminal and the command writes there.</summary>
internal static class ErrorConsole
{
    /// <summary>Whether progress to <paramref name="error"/> can be a live display rather than plain lines.</summary>
    public static bool IsLive(TextWriter error) => !Console.IsErrorRedirected && ReferenceEquals(error, Console.Error);

    public static IAnsiConsole Create() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
}
