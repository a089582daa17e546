using System.Runtime.InteropServices;
using Shardcast.Engine.Planning;

namespace Shardcast.Host.Commands;

/// <summary>What the commands share: Ctrl+C as the search's cancellation, and failures mapped to exit codes.</summary>
internal static class CommandGuard
{
    /// <summary>
    /// Runs work with Ctrl+C (SIGINT) and SIGTERM cancelling its token: the search stops early and the work still
    /// reports the best found. SIGTERM is what `timeout`, systemd and Kubernetes send before they kill; treated like
    /// Ctrl+C, it leaves a plan written instead of none.
    /// </summary>
    public static T Interruptible<T>(Func<CancellationToken, T> work)
    {
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            interrupt.Cancel();
        });
        try
        {
            return work(interrupt.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>What an options record's Validate refuses (its ArgumentException's message, naming the option), or null.</summary>
    public static string? ValidationProblem(Action validate)
    {
        try
        {
            validate();
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Runs a command's body. Bad input (what <paramref name="describeBadInput"/> recognises, a planning refusal,
    /// an unreadable or unwritable file) prints "error: ..." and exits 2; anything else is a bug: exit 1 with the trace.
    /// </summary>
    public static int Run(TextWriter error, Func<int> body, Func<Exception, string?> describeBadInput)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (describeBadInput(e) is { } message)
        {
            error.WriteLine($"error: {message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is PlanningException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
#pragma warning disable CA1031 // The CLI's last line of defence: any other failure is a bug, reported with exit code 1.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine($"internal error: {e}");
            return ExitCodes.InternalError;
        }
    }
}
