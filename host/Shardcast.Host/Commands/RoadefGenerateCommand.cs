using System.CommandLine;
using System.Globalization;
using Shardcast.Engine.Roadef;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast roadef-generate`: writes a machine-reassignment instance in the challenge's format, with an initial
/// assignment that breaks no hard constraint, at any size (set B's shapes reach 50,000 processes on 5,000
/// machines), so that `shardcast roadef` can be measured beyond the distributed set A.
/// </summary>
public static class RoadefGenerateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var defaults = new RoadefGeneratorOptions(Processes: 5000, Machines: 100);
        var processes = new Option<int>("--processes", "-p") { Description = "Processes.", DefaultValueFactory = _ => defaults.Processes };
        var machines = new Option<int>("--machines", "-n") { Description = "Machines.", DefaultValueFactory = _ => defaults.Machines };
        var resources = new Option<int>("--resources", "-r") { Description = "Resources (1 to 12).", DefaultValueFactory = _ => defaults.Resources };
        var transient = new Option<int>("--transient") { Description = "How many resources, from the first, are transient.", DefaultValueFactory = _ => defaults.TransientResources };
        var neighborhoods = new Option<int>("--neighbourhoods") { Description = "Neighbourhoods (contiguous blocks of machines).", DefaultValueFactory = _ => defaults.Neighborhoods };
        var locations = new Option<int>("--locations") { Description = "Locations.", DefaultValueFactory = _ => defaults.Locations };
        var multiServices = new Option<int>("--multi-services") { Description = "Services of two or more processes; the other processes are services of their own.", DefaultValueFactory = _ => defaults.MultiServices };
        var maxServiceSize = new Option<int>("--max-service-size") { Description = "The largest service's process count.", DefaultValueFactory = _ => defaults.MaxServiceSize };
        var dependencies = new Option<int>("--dependencies") { Description = "Service dependencies to draw (those the initial assignment satisfies are kept).", DefaultValueFactory = _ => defaults.Dependencies };
        var balances = new Option<int>("--balances") { Description = "Balance objectives.", DefaultValueFactory = _ => defaults.Balances };
        var seed = new Option<int>("--seed", "-s") { Description = "Random seed: the same options give the same files.", DefaultValueFactory = _ => defaults.Seed };
        var model = new Option<FileInfo>("--model", "-m") { Description = "Where to write the model file.", Required = true };
        var initial = new Option<FileInfo>("--initial", "-i") { Description = "Where to write the initial assignment.", Required = true };
        var command = new Command("roadef-generate", "Write a ROADEF/EURO 2012 instance and a feasible initial assignment of any size (docs/roadef.md).")
        {
            processes, machines, resources, transient, neighborhoods, locations, multiServices, maxServiceSize, dependencies, balances, seed, model, initial,
        };
        command.SetAction(parse =>
        {
            var options = new RoadefGeneratorOptions(
                parse.GetValue(processes), parse.GetValue(machines), parse.GetValue(resources), parse.GetValue(transient), parse.GetValue(neighborhoods),
                parse.GetValue(locations), parse.GetValue(multiServices), parse.GetValue(maxServiceSize), parse.GetValue(dependencies), parse.GetValue(balances), parse.GetValue(seed));
            return CommandGuard.Run(
                error,
                () =>
                {
                    var generated = RoadefGenerator.Generate(options);
                    RoadefFiles.WriteModel(generated.Instance, parse.GetRequiredValue(model).FullName);
                    RoadefFiles.WriteSolution(parse.GetRequiredValue(initial).FullName, generated.Initial);
                    var start = RoadefChecker.Evaluate(generated.Instance, generated.Initial, generated.Initial);
                    int dependencyCount = generated.Instance.Services.Sum(s => s.DependsOn.Length);
                    output.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{generated.Instance.Processes.Length} processes, {generated.Instance.Machines.Length} machines, {generated.Instance.Resources.Length} resources, {generated.Instance.Services.Length} services, {dependencyCount} dependencies; initial objective {start.Objective:N0}, {(start.Feasible ? "feasible" : "INFEASIBLE")}"));
                    return start.Feasible ? ExitCodes.Ok : ExitCodes.InternalError;
                },
                e => e is ArgumentOutOfRangeException ? e.Message : null);
        });
        return command;
    }
}
