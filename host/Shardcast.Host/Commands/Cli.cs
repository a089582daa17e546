using System.CommandLine;

namespace Shardcast.Host.Commands;

/// <summary>The `shardcast` command line: parses, dispatches, and maps failures to exit codes.</summary>
public static class Cli
{
    /// <param name="openStdout">Opens the raw standard output for bulk writes (generate streams megabytes of JSON).</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, Func<Stream> openStdout)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var root = new RootCommand("Shardcast: plans partition placement over a forecast horizon, moving as little as possible.")
        {
            PlanCommand.Create(output, error),
            GenerateCommand.Create(output, error, openStdout),
            RoadefCommand.Create(output, error),
            RoadefCheckCommand.Create(output, error),
            RoadefGenerateCommand.Create(output, error),
            BacktestCommand.Create(output, error),
            TrainCommand.Create(output, error),
            ForecastCommand.Create(output, error),
            ServeCommand.Create(output, error),
            CapabilitiesCommand.Create(output, error),
            ChaosCommand.Create(output, error),
            RebalanceCommand.Create(output, error),
            RunCommand.Create(output, error),
            DemoCommand.Create(output, error),
            DetectCommand.Create(output, error),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors)
            {
                error.WriteLine($"error: {e.Message}");
            }

            error.WriteLine("Run 'shardcast --help' for usage.");
            return ExitCodes.BadInput;
        }

        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
