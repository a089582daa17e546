using System.Diagnostics;
using System.Text.Json;

namespace Shardcast.Host.Tests.Commands;

/// <summary>
/// `shardcast plan` as its own process, as a user runs it: the README's command writes the plan file it promises, and
/// SIGTERM (as `timeout`, systemd and Kubernetes send it) stops a long search the way Ctrl+C does, the best plan found
/// judged, sequenced and written, exit code 0.
/// </summary>
public class PlanProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static string Program => Path.Combine(AppContext.BaseDirectory, "shardcast.dll");

    private static string Example => Path.Combine(AppContext.BaseDirectory, "examples", "cluster.json");

    [Fact]
    public async Task Plan_without_output_writes_plan_json_in_the_current_folder()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet", $"\"{Program}\" plan --input \"{Example}\" --steps 3000")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(Patience);
            Assert.True(process.ExitCode == 0, await error);
            Assert.Contains("plan written to plan.json (", await output, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "plan.json")));
            Assert.Equal(120, json.RootElement.GetProperty("assignment").EnumerateObject().Count());
            Assert.Equal(json.RootElement.GetProperty("move_count").GetInt32(), json.RootElement.GetProperty("moves").GetArrayLength());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sigterm_during_a_plan_stops_the_search_and_the_plan_is_written()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string plan = Path.Combine(folder, "plan.json");
            var start = new ProcessStartInfo("dotnet", $"\"{Program}\" plan --input \"{Example}\" --time-ms 600000 --no-scaling-advice --output \"{plan}\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();

            // Redirected, the search announces itself every 5 s: the first line says it is searching.
            string? line;
            do
            {
                line = await process.StandardError.ReadLineAsync().WaitAsync(Patience);
            }
            while (line is not null && !line.StartsWith("searching: ", StringComparison.Ordinal));

            Assert.NotNull(line);
            using (var kill = Process.Start("kill", $"-TERM {process.Id}"))
            {
                await kill.WaitForExitAsync().WaitAsync(Patience);
            }

            await process.WaitForExitAsync().WaitAsync(Patience);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains($"plan written to {plan}", await output, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(File.ReadAllText(plan));
            Assert.Equal(120, json.RootElement.GetProperty("assignment").EnumerateObject().Count());
            Assert.True(json.RootElement.GetProperty("search_ms").GetDouble() < 600_000);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
