using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

/// <summary>Runs the `shardcast` command line in process: its exit code and what it wrote to standard output and error.</summary>
internal static class CliRunner
{
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Cli.Run(args, output, error, () => new MemoryStream());
        return (code, output.ToString(), error.ToString());
    }
}
