using System.Text.Json;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

/// <summary>`shardcast plan --curve`: budgets as sizes or shares of the data, the table printed and the points in the plan file; a bad budget refused before planning.</summary>
public sealed class PlanCurveCliTests
{
    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Budgets_read_as_sizes_and_shares_of_the_data()
    {
        Assert.Null(CurveBudgets.Parse("auto", 1e12));
        Assert.Equal([5e11, 2.5e12, 1e9, 5e10], CurveBudgets.Parse("500GB, 2.5TB,1e9,5%", 1e12));
        var bad = Assert.Throws<FormatException>(() => CurveBudgets.Parse("500GB,lots", 1e12));
        Assert.StartsWith("--curve: 'lots' is not a byte budget", bad.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => CurveBudgets.Parse("-1GB", 1e12));
    }

    [Fact]
    public void The_curve_is_printed_and_written_with_the_plan()
    {
        string folder = Directory.CreateTempSubdirectory("shardcast-curve-").FullName;
        try
        {
            string output = Path.Combine(folder, "plan.json");
            string example = Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json");
            var (code, stdout, stderr) = Run("plan", "--input", example, "--steps", "3000", "--seed", "2", "--curve", "0,1%,10%", "--output", output);
            Assert.True(code == ExitCodes.Ok, stdout + stderr);
            Assert.Contains("balance vs movement", stdout, StringComparison.Ordinal);
            Assert.Contains("curve: 4 of 4 points planned", stderr, StringComparison.Ordinal);

            using var plan = JsonDocument.Parse(File.ReadAllText(output));
            var curve = plan.RootElement.GetProperty("curve").EnumerateArray().ToList();
            Assert.Equal(4, curve.Count);
            Assert.Equal(0, curve[0].GetProperty("moved_bytes").GetDouble());
            Assert.Equal(JsonValueKind.Null, curve[3].GetProperty("budget_bytes").ValueKind);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_bad_budget_is_refused_before_planning()
    {
        string example = Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json");
        var (code, _, stderr) = Run("plan", "--input", example, "--curve", "1TB,much");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("--curve: 'much' is not a byte budget", stderr, StringComparison.Ordinal);
    }
}
