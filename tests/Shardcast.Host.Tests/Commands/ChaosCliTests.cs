using System.Text.Json;
using Shardcast.Host.Commands;

namespace Shardcast.Host.Tests.Commands;

public class ChaosCliTests
{
    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Chaos_on_the_embedded_store_ends_with_its_counts_as_one_line_of_json()
    {
        var (code, output, error) = Run("chaos", "--store", "garnet", "--schedules", "3", "--seed", "2", "--keys", "60", "--json");
        Assert.True(code == ExitCodes.Ok, output + error);
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.Equal(3, json.RootElement.GetProperty("schedules").GetInt32());
        Assert.Equal(3, json.RootElement.GetProperty("moves").GetInt32());
        foreach (string count in new[] { "lost_writes", "stale_reads", "stuck_slots" })
        {
            Assert.Equal(0, json.RootElement.GetProperty(count).GetInt64());
        }

        Assert.True(json.RootElement.GetProperty("writes").GetInt64() > 0);
    }

    [Theory]
    [InlineData("--store", "redis://127.0.0.1:7000", "error: --store redis://127.0.0.1:7000: chaos starts the store it faults")]
    [InlineData("--schedules", "0", "error: --schedules must be at least 1, found 0")]
    [InlineData("--nodes", "1", "error: --nodes must be 2 to 64")]
    public void Chaos_refuses_what_it_cannot_run_naming_the_option(string option, string value, string expected)
    {
        var (code, _, error) = Run("chaos", option, value);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
