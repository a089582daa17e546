using System.CommandLine;
using Shardcast.Engine.Roadef;

namespace Shardcast.Host.Commands;

/// <summary>
/// `shardcast roadef-check`: judges a solution in the challenge's format, from any solver, with the exact integer
/// checker the `roadef` command judges its own with: the objective by term against the initial assignment, and
/// every broken hard constraint by family. Exit code 0 when the solution is feasible, 3 when it breaks a constraint.
/// </summary>
public static class RoadefCheckCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "The challenge's model file (model_*.txt).", Required = true };
        var initial = new Option<FileInfo>("--initial", "-i") { Description = "The initial assignment (assignment_*.txt).", Required = true };
        var solution = new Option<FileInfo>("--solution", "-s") { Description = "The solution to judge (the challenge's format: one machine per process).", Required = true };
        var lowerBound = new Option<string?>("--lb") { Description = "A lower bound: a number, or a file holding one (lb_*.txt); the gap to it is printed." };
        var command = new Command("roadef-check", "Judge a ROADEF/EURO 2012 solution exactly: objective by term, feasibility, gap to a lower bound (docs/roadef.md).")
        {
            model, initial, solution, lowerBound,
        };
        command.SetAction(parse => Run(
            parse.GetRequiredValue(model).FullName, parse.GetRequiredValue(initial).FullName, parse.GetRequiredValue(solution).FullName,
            parse.GetValue(lowerBound), output, error));
        return command;
    }

    public static int Run(string modelPath, string initialPath, string solutionPath, string? lowerBound, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        return RoadefCommand.WithInstance(
            modelPath,
            initialPath,
            lowerBound,
            error,
            (instance, initial, bound) =>
            {
                var assignment = RoadefFiles.ReadAssignment(solutionPath, instance);
                var before = RoadefChecker.Evaluate(instance, initial, initial);
                var after = RoadefChecker.Evaluate(instance, initial, assignment);
                RoadefCommand.WriteJudgement(instance, initial, assignment, before, after, bound, output);
                return after.Feasible ? ExitCodes.Ok : ExitCodes.Infeasible;
            });
    }
}
