using Shardcast.Host.Commands;

return Cli.Run(args, Console.Out, Console.Error, Console.OpenStandardOutput);
