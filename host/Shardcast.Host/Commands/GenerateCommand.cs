using System.CommandLine;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Generation;

namespace Shardcast.Host.Commands;

/// <summary>`shardcast generate`: writes a realistic synthetic cluster file of any size.</summary>
public static class GenerateCommand
{
    public static Command Create(TextWriter output, TextWriter error, Func<Stream> openStdout)
    {
        var partitions = new Option<int>("--partitions", "-p") { Description = "Partitions (replicas count separately).", DefaultValueFactory = _ => 1000 };
        var nodes = new Option<int>("--nodes", "-n") { Description = "Nodes.", DefaultValueFactory = _ => 20 };
        var horizon = new Option<int>("--horizon") { Description = "Forecast steps H.", DefaultValueFactory = _ => 12 };
        var resources = new Option<int>("--resources", "-r") { Description = "Resources R (1 to 8).", DefaultValueFactory = _ => 2 };
        var seed = new Option<ulong>("--seed", "-s") { Description = "Random seed: the same options give the same cluster.", DefaultValueFactory = _ => 1 };
        var utilisation = new Option<double>("--utilisation") { Description = "Mean peak utilisation of the nodes that may hold partitions.", DefaultValueFactory = _ => 0.6 };
        var outputFile = new Option<string?>("--output", "-o") { Description = "Write the cluster file here; without it, to standard output, which must then be redirected (a cluster file is one long line of JSON)." };
        var command = new Command("generate", "Write a synthetic cluster file: skewed loads, heterogeneous nodes, zones, replica groups, tenants, affinity, an unbalanced start.")
        {
            partitions, nodes, horizon, resources, seed, utilisation, outputFile,
        };

        command.SetAction(parse =>
        {
            var options = new GeneratorOptions(parse.GetValue(partitions), parse.GetValue(nodes), parse.GetValue(horizon), parse.GetValue(resources), parse.GetValue(seed), parse.GetValue(utilisation));
            ClusterSpec spec;
            try
            {
                spec = ClusterGenerator.Generate(options);
            }
            catch (ArgumentOutOfRangeException e)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }

            string? path = parse.GetValue(outputFile);
            if (path is null && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
            {
                // Megabytes of one-line JSON on a terminal help nobody.
                error.WriteLine("error: generate writes a cluster file: name it with --output FILE, or redirect standard output (> FILE)");
                return ExitCodes.BadInput;
            }

            if (path is not null && OutputFile.Problem(path, "--output") is { } unwritable)
            {
                error.WriteLine($"error: {unwritable}");
                return ExitCodes.BadInput;
            }

            output.Flush();
            if (path is null)
            {
                using var stream = openStdout();
                ClusterFileWriter.Write(spec, stream);
                stream.Flush();
            }
            else
            {
                OutputFile.Write(path, stream => ClusterFileWriter.Write(spec, stream));
                error.WriteLine($"cluster written to {path} ({spec.Partitions.Count} partitions, {spec.Nodes.Count} nodes)");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
