using System.Text.Json;
using System.Text.RegularExpressions;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

public sealed class CliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("shardcast-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Example => Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json");

    private static (int Code, string Output, string Error, byte[] Stdout) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var stdout = new MemoryStream();
        int code = Cli.Run(args, output, error, () => stdout);
        return (code, output.ToString(), error.ToString(), stdout.ToArray());
    }

    private static string Roadef(string prefix) => Path.Combine(AppContext.BaseDirectory, "roadef", $"{prefix}_a1_1.txt");

    [Fact]
    public void Roadef_SolvesWithinTheLimit_PrintsTermsAndGap_AndWritesTheSolution()
    {
        string solution = Path.Combine(_folder, "solution.txt");
        var (code, output, error, _) = Run("roadef", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--output", solution, "--time-s", "2", "--lb", Roadef("lb"));
        Assert.True(code == ExitCodes.Ok, error);
        foreach (string line in new[] { "load cost", "balance cost", "process move cost", "service move cost", "machine move cost", "objective", "feasible: yes", "gap to lower bound 44,306,390" })
        {
            Assert.Contains(line, output, StringComparison.Ordinal);
        }

        Assert.Matches(@"backend managed, files read in \d+\.\d\d s, search \d+\.\d\d s .*, wall \d+\.\d\d s of 2 s;", output);
        var machines = File.ReadAllText(solution).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(100, machines.Length);
        Assert.All(machines, m => Assert.InRange(m, 0, 3));
    }

    [Fact]
    public void RoadefGenerate_WritesAFeasibleInstance_ThatRoadefSolvesAndTheCheckerAccepts()
    {
        string model = Path.Combine(_folder, "model.txt");
        string initial = Path.Combine(_folder, "initial.txt");
        string solution = Path.Combine(_folder, "solution.txt");
        var (code, output, error, _) = Run("roadef-generate", "--processes", "400", "--machines", "20", "--resources", "4", "--transient", "1", "--neighbourhoods", "2", "--locations", "4", "--multi-services", "50", "--dependencies", "100", "--seed", "3", "--model", model, "--initial", initial);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("400 processes, 20 machines, 4 resources", output, StringComparison.Ordinal);
        Assert.Contains("feasible", output, StringComparison.Ordinal);

        (code, var solved, error, _) = Run("roadef", "--model", model, "--initial", initial, "--output", solution, "--time-s", "2");
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("feasible: yes", solved, StringComparison.Ordinal);
        (code, _, error, _) = Run("roadef-check", "--model", model, "--initial", initial, "--solution", solution);
        Assert.True(code == ExitCodes.Ok, error);
    }

    [Fact]
    public void RoadefGenerate_RefusesImpossibleOptions_NamingThem()
    {
        var (code, _, error, _) = Run("roadef-generate", "--processes", "10", "--multi-services", "8", "--model", Path.Combine(_folder, "m.txt"), "--initial", Path.Combine(_folder, "i.txt"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("error: 8 services of two or more processes need at least 16 processes, found 10", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "m.txt")));
    }

    [Fact]
    public void Roadef_ExportedCluster_PlansWithTheExtendedTerms()
    {
        string cluster = Path.Combine(_folder, "a1_1.json");
        string planPath = Path.Combine(_folder, "plan.json");
        var (code, _, error, _) = Run("roadef", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--output", Path.Combine(_folder, "s.txt"), "--time-s", "1", "--export-cluster", cluster);
        Assert.True(code == ExitCodes.Ok, error);
        (code, var output, error, _) = Run("plan", "--input", cluster, "--steps", "20000", "--output", planPath);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("safety", output, StringComparison.Ordinal);
        using var plan = JsonDocument.Parse(File.ReadAllText(planPath));
        var after = plan.RootElement.GetProperty("cost_after");
        Assert.True(plan.RootElement.GetProperty("feasible").GetBoolean());
        Assert.True(after.GetProperty("safety").GetDouble() < plan.RootElement.GetProperty("cost_before").GetProperty("safety").GetDouble());
        Assert.Equal(after.GetProperty("total").GetDouble(), after.GetProperty("safety").GetDouble() + after.GetProperty("resource_balance").GetDouble()
            + after.GetProperty("partition_move").GetDouble() + after.GetProperty("group_move").GetDouble() + after.GetProperty("node_move").GetDouble(), 6);
    }

    [Fact]
    public void Roadef_BadModel_ExitsWithBadInputNamingTheProblem()
    {
        string broken = Path.Combine(_folder, "model.txt");
        File.WriteAllText(broken, "2 0 10 x");
        var (code, _, error, _) = Run("roadef", "--model", broken, "--initial", Roadef("assignment"), "--output", Path.Combine(_folder, "s.txt"), "--time-s", "1");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("resource 1 transient flag", error, StringComparison.Ordinal);
    }

    private static string ObjectiveLine(string output) => output.Split('\n').Single(line => line.StartsWith("objective", StringComparison.Ordinal)).Trim();

    [Fact]
    public void RoadefCheck_TheInitialAssignment_IsFeasibleAndCostsItsOriginalCost()
    {
        var (code, output, error, _) = Run("roadef-check", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--solution", Roadef("assignment"), "--lb", Roadef("lb"));
        Assert.True(code == ExitCodes.Ok, error);
        long original = long.Parse(File.ReadAllText(Roadef("original_cost")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        string cost = original.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Matches($"^objective +{cost} +{cost}$", ObjectiveLine(output));
        Assert.Contains("processes moved: 0", output, StringComparison.Ordinal);
        Assert.Contains("feasible: yes", output, StringComparison.Ordinal);
        Assert.Contains("gap to lower bound 44,306,390", output, StringComparison.Ordinal);

        // The load cost, split into the bound every plan obeys and what the resources add above it.
        var split = Regex.Match(output, @"^load cost above its aggregate bound ([\d,]+): ([\d,]+)$", RegexOptions.Multiline);
        Assert.True(split.Success, output);
        var loadCost = Regex.Match(output, @"^load cost +[\d,]+ +([\d,]+)$", RegexOptions.Multiline);
        Assert.Equal(Number(loadCost.Groups[1].Value), Number(split.Groups[1].Value) + Number(split.Groups[2].Value));
        Assert.Matches(@"(?m)^    machine \d+, resource \d+: [\d,]+ (under|over) safety capacity \(usage [\d,]+.*\); capacity left for newcomers by resource -?[\d,]+( / -?[\d,]+)*$", output);
    }

    private static long Number(string digits) => long.Parse(digits, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void RoadefCheck_JudgesWhatRoadefWrote_AsRoadefJudgedIt()
    {
        string solution = Path.Combine(_folder, "solution.txt");
        var (code, solved, error, _) = Run("roadef", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--output", solution, "--time-s", "2");
        Assert.True(code == ExitCodes.Ok, error);
        (code, var checkedOutput, error, _) = Run("roadef-check", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--solution", solution);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Equal(ObjectiveLine(solved), ObjectiveLine(checkedOutput));
        Assert.NotEqual(ObjectiveLine(solved), ObjectiveLine(Run("roadef-check", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--solution", Roadef("assignment")).Output));
    }

    [Fact]
    public void RoadefCheck_TwoProcessesOfOneServiceOnOneMachine_ExitsInfeasibleNamingTheConflict()
    {
        var instance = Engine.Roadef.RoadefFiles.ReadModel(Roadef("model"));
        var assignment = Engine.Roadef.RoadefFiles.ReadAssignment(Roadef("assignment"), instance);
        var service = Enumerable.Range(0, instance.Processes.Length).GroupBy(p => instance.Processes[p].Service).First(g => g.Count() >= 2).ToArray();
        assignment[service[1]] = assignment[service[0]];
        string solution = Path.Combine(_folder, "conflict.txt");
        Engine.Roadef.RoadefFiles.WriteSolution(solution, assignment);
        var (code, output, _, _) = Run("roadef-check", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--solution", solution);
        Assert.Equal(ExitCodes.Infeasible, code);
        Assert.Contains("feasible: no (", output, StringComparison.Ordinal);
        Assert.Contains($"conflict: service {instance.Processes[service[0]].Service} has two processes on machine {assignment[service[0]]}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RoadefCheck_ASolutionCoveringTooFewProcesses_ExitsWithBadInputNamingIt()
    {
        string solution = Path.Combine(_folder, "short.txt");
        File.WriteAllText(solution, "0 1 2");
        var (code, _, error, _) = Run("roadef-check", "--model", Roadef("model"), "--initial", Roadef("assignment"), "--solution", solution);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("short.txt: ends before the machine of process 3", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_TheShippedExample_PrintsASummaryAndWritesThePlanFile()
    {
        string planPath = Path.Combine(_folder, "plan.json");
        var (code, output, error, _) = Run("plan", "--input", Example, "--steps", "20000", "--output", planPath);
        Assert.True(code == ExitCodes.Ok, error);
        Assert.Contains("feasible", output, StringComparison.Ordinal);
        Assert.Contains("node utilisation", output, StringComparison.Ordinal);
        Assert.Contains("balance", output, StringComparison.Ordinal);

        using var plan = JsonDocument.Parse(File.ReadAllText(planPath));
        var root = plan.RootElement;
        Assert.True(root.GetProperty("feasible").GetBoolean());
        Assert.Equal(120, root.GetProperty("assignment").EnumerateObject().Count());
        foreach (string field in new[] { "moves", "cost_before", "cost_after", "peak_utilisation_before", "peak_utilisation_after", "nodes", "scaling", "backend", "search_ms" })
        {
            Assert.True(root.TryGetProperty(field, out _), $"plan file lacks {field}");
        }

        Assert.True(root.GetProperty("peak_utilisation_after").GetDouble() <= 1);
        Assert.True(root.GetProperty("cost_after").GetProperty("total").GetDouble() < root.GetProperty("cost_before").GetProperty("total").GetDouble());
    }

    [Fact]
    public void Plan_WithOutputDash_WritesOnlyJsonToStandardOutput()
    {
        var (code, output, _, _) = Run("plan", "--input", Example, "--steps", "2000", "--algorithm", "greedy", "--output", "-");
        Assert.Equal(ExitCodes.Ok, code);
        using var plan = JsonDocument.Parse(output);
        Assert.Equal("greedy", plan.RootElement.GetProperty("algorithm").GetString());
    }

    [Fact]
    public void Plan_WithATargetCostTheStartAlreadyMeets_StopsWithoutSearching()
    {
        var (code, output, _, _) = Run("plan", "--input", Example, "--time-ms", "600000", "--target-cost", "1e30", "--no-scaling-advice", "--output", "-");
        Assert.Equal(ExitCodes.Ok, code);
        using var plan = JsonDocument.Parse(output);
        Assert.Equal(0, plan.RootElement.GetProperty("evaluated_moves").GetInt64());
    }

    [Fact]
    public void Plan_WithTheGeneticAlgorithmSeedingTheAnnealer_PlansTheExample()
    {
        var (code, output, error, _) = Run("plan", "--input", Example, "--steps", "20000", "--algorithm", "genetic-anneal", "--output", "-");
        Assert.True(code == ExitCodes.Ok, error);
        using var plan = JsonDocument.Parse(output);
        Assert.Equal("genetic-anneal", plan.RootElement.GetProperty("algorithm").GetString());
        Assert.True(plan.RootElement.GetProperty("feasible").GetBoolean());
    }

    [Fact]
    public void Plan_ABadClusterFile_ExitsWithTwoAndNamesTheField()
    {
        string bad = Path.Combine(_folder, "bad.json");
        File.WriteAllText(bad, File.ReadAllText(Example).Replace("\"n3\", \"capacity\": [", "\"n3\", \"capacity\": [0, ", StringComparison.Ordinal));
        var (code, _, error, _) = Run("plan", "--input", bad);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("$.nodes[3].capacity", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_AClusterWhoseCostOverflows_ExitsWithTwoAndNamesTheNode_WritingNoPlan()
    {
        // Every number finite, but a load over a capacity of 1e-320 is infinite: found by mutating the example.
        string bad = Path.Combine(_folder, "bad.json");
        string plan = Path.Combine(_folder, "plan.json");
        File.WriteAllText(bad, File.ReadAllText(Example).Replace("\"n5\", \"capacity\": [10320,", "\"n5\", \"capacity\": [1e-320,", StringComparison.Ordinal));
        var (code, _, error, _) = Run("plan", "--input", bad, "--output", plan);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("error: the cluster's numbers do not fit the cost's range: its balance and headroom term could reach", error, StringComparison.Ordinal);
        Assert.Contains("node 'n5' has a capacity of 1E-320 of it", error, StringComparison.Ordinal);
        Assert.False(File.Exists(plan));
    }

    [Theory]
    [InlineData("--time-ms", "-5", "error: --time-ms must be positive, found -5")]
    [InlineData("--steps", "0", "error: --steps must be positive, found 0")]
    [InlineData("--threads", "-1", "error: --threads must not be negative, found -1")]
    [InlineData("--output", "/nonexistent-folder/plan.json", "error: --output /nonexistent-folder/plan.json: the folder /nonexistent-folder does not exist")]
    [InlineData("--output", "/", "error: --output /: is a folder; name a file in it")]
    public void Plan_ABadOption_IsRefusedBeforeTheSearch_NamingTheOption(string option, string value, string expected)
    {
        // The search would take 10 minutes: a refusal that came after it would not finish within the test's time.
        string[] longSearch = option == "--time-ms" ? ["--steps", "100000000"] : ["--time-ms", "600000"];
        var (code, output, error, _) = Run(["plan", "--input", Example, .. longSearch, option, value]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal(expected, error.Trim());
        Assert.Empty(output);
    }

    [Theory]
    [InlineData("plan", "--input", "/nonexistent.json")]
    [InlineData("plan", "--input", "EXAMPLE", "--algorithm", "tabu")]
    [InlineData("plan", "--input", "EXAMPLE", "--backend", "vulkan")]
    [InlineData("plan", "--input", "EXAMPLE", "--time-ms", "0")]
    [InlineData("plan", "--input", "EXAMPLE", "--target-cost", "NaN")]
    [InlineData("plan", "--frobnicate")]
    [InlineData("generate", "--partitions", "0")]
    [InlineData("generate", "--resources", "9")]
    public void BadArguments_ExitWithTwo(params string[] args)
    {
        var (code, _, error, _) = Run(args.Select(a => a == "EXAMPLE" ? Example : a).ToArray());
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("error:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_WritesAClusterThatPlans()
    {
        var (code, _, _, stdout) = Run("generate", "--partitions", "200", "--nodes", "12", "--horizon", "6", "--resources", "3", "--seed", "5");
        Assert.Equal(ExitCodes.Ok, code);
        string path = Path.Combine(_folder, "generated.json");
        File.WriteAllBytes(path, stdout);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.Equal(200, doc.RootElement.GetProperty("partitions").GetArrayLength());
            Assert.Equal(3, doc.RootElement.GetProperty("resources").GetArrayLength());
        }

        var (planCode, output, error, _) = Run("plan", "--input", path, "--steps", "5000");
        Assert.True(planCode == ExitCodes.Ok, error);
        Assert.Contains("200 partitions on 12 nodes", output, StringComparison.Ordinal);
    }
}
