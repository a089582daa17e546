using System.Diagnostics;
using System.Globalization;

namespace Shardcast.Kernels.Search.Exact;

/// <summary>
/// COIN-OR CBC's command-line solver (Debian: coinor-cbc), run as one child process per subproblem. Out of process on
/// purpose: Debian's CLP is built with its assertions on, and one of them (<c>ClpSimplexDual::dualColumn0</c>)
/// aborted the whole engine on ROADEF a2_1 when CBC ran in process. A child that dies, hangs or answers nonsense costs
/// one subproblem: the caller gets no solution and the failure is counted and named. Starting the command costs about
/// 15 ms, against 25-150 ms for the solves themselves; children solve side by side, where the library kept its state
/// in globals and had to solve one at a time.
/// </summary>
public sealed class CbcCommand
{
    /// <summary>The environment variable that names the executable, ahead of the search path.</summary>
    public const string ExecutableVariable = "SHARDCAST_CBC";

    /// <summary>Time a child gets past its own limit to write its answer before it is killed.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    /// <summary>Wall time a solve without a time limit may take before its child is killed: a node limit should end it long before.</summary>
    private static readonly TimeSpan Unlimited = TimeSpan.FromMinutes(5);

    private static readonly Lazy<(CbcCommand? Command, string? Why)> Found = new(Find);

    private readonly Lazy<string?> _version;
    private long _solved;
    private long _failed;
    private string? _lastFailure;

    /// <summary>A solver that runs <paramref name="executable"/>, which must take CBC's command line.</summary>
    public CbcCommand(string executable)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executable);
        Executable = executable;
        _version = new Lazy<string?>(ReadVersion);
    }

    /// <summary>The solver found through <see cref="ExecutableVariable"/> or the search path, or null (then <see cref="Unavailable"/> says why).</summary>
    public static CbcCommand? Default => Found.Value.Command;

    /// <summary>Null when <see cref="Default"/> is there; otherwise why not.</summary>
    public static string? Unavailable => Found.Value.Why;

    public string Executable { get; }

    /// <summary>The version the executable reports, or null when it reports none.</summary>
    public string? Version => _version.Value;

    /// <summary>Solves that returned a solution.</summary>
    public long Solved => Interlocked.Read(ref _solved);

    /// <summary>Solves whose child failed (died, timed out, wrote no readable answer): each cost one subproblem.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>What the last failed solve went wrong with, or null when none has failed.</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>
    /// Solves <paramref name="model"/> from <paramref name="start"/> (values of its integer columns by column index)
    /// within <paramref name="seconds"/> when given and <paramref name="nodes"/> branch-and-bound nodes. Returns the
    /// best integer point the child found, or null when it found none or failed; a failure never throws.
    /// </summary>
    internal double[]? Solve(LinearModel model, ReadOnlySpan<double> start, double? seconds, int nodes)
    {
        string folder = Path.Combine(Path.GetTempPath(), "shardcast-cbc-" + Path.GetRandomFileName());
        Directory.CreateDirectory(folder);
        try
        {
            string modelPath = Path.Combine(folder, "model.mps");
            string startPath = Path.Combine(folder, "start.txt");
            string solutionPath = Path.Combine(folder, "solution.txt");
            using (var writer = new StreamWriter(modelPath))
            {
                model.WriteMps(writer);
            }

            using (var writer = new StreamWriter(startPath))
            {
                model.WriteStart(writer, start);
            }

            var arguments = new List<string> { modelPath, "-log", "0", "-maxNodes", nodes.ToString(CultureInfo.InvariantCulture) };
            if (seconds is { } limit)
            {
                arguments.AddRange(["-sec", Math.Max(0.01, limit).ToString("R", CultureInfo.InvariantCulture)]);
            }

            arguments.AddRange(["-mipStart", startPath, "-solve", "-solution", solutionPath]);
            var wait = seconds is { } s ? TimeSpan.FromSeconds(Math.Max(0.01, s)) + Grace : Unlimited;
            if (Run(arguments, wait) is { } failure)
            {
                return Fail(failure);
            }

            var (solution, why) = ReadSolution(solutionPath, model.Columns);
            if (solution is null)
            {
                return why is null ? null : Fail(why);
            }

            Interlocked.Increment(ref _solved);
            return solution;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return Fail($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            TryDelete(folder);
        }
    }

    /// <summary>
    /// Reads CBC's solution file: a status line, then one line per column (index, name, value, reduced cost). Returns
    /// the values, or null with no reason when CBC proved there is no integer point or found none in its limits,
    /// or null with the reason when the file is not an answer.
    /// </summary>
    internal static (double[]? Values, string? Why) ReadSolution(string path, int columns)
    {
        if (!File.Exists(path))
        {
            return (null, "cbc wrote no solution file");
        }

        using var reader = new StreamReader(path);
        string? status = reader.ReadLine();
        if (status is null)
        {
            return (null, "cbc wrote an empty solution file");
        }

        if (status.Contains("infeasible", StringComparison.OrdinalIgnoreCase) || status.Contains("no integer solution", StringComparison.OrdinalIgnoreCase)
            || status.Contains("unbounded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        var values = new double[columns];
        int row = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            row++;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }

            // A line that follows a column's line without an index is CBC marking an infeasible point ("**"):
            // the index and value fields are then shifted by one.
            int at = fields[0] == "**" ? 1 : 0;
            if (fields.Length < at + 3
                || !int.TryParse(fields[at], NumberStyles.Integer, CultureInfo.InvariantCulture, out int column)
                || !double.TryParse(fields[at + 2], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                return (null, $"cbc's solution file line {row} is not 'index name value': '{line}'");
            }

            if (column < 0 || column >= columns)
            {
                return (null, $"cbc's solution file line {row} names column {column} of {columns}");
            }

            values[column] = value;
        }

        return (values, null);
    }

    /// <summary>Runs the child; null when it exited 0 within <paramref name="wait"/>, else what went wrong.</summary>
    private string? Run(IReadOnlyList<string> arguments, TimeSpan wait)
    {
        var (exitCode, said) = RunChild(arguments, wait);
        return exitCode switch
        {
            null => $"cbc ran past {wait.TotalSeconds:0.##} s and was killed",
            0 => null,
            _ => $"cbc exited with code {exitCode}{(Tail(said) is { Length: > 0 } tail ? ": " + tail : string.Empty)}",
        };
    }

    /// <summary>
    /// Starts the executable with <paramref name="arguments"/>, its input closed, and waits up to
    /// <paramref name="wait"/>. Returns its exit code (null when it ran past and was killed) and what it wrote, error
    /// output first.
    /// </summary>
    private (int? ExitCode, string Output) RunChild(IReadOnlyList<string> arguments, TimeSpan wait)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{Executable} did not start");
        process.StandardInput.Close();
        // Read both streams as they come, so a child that writes much never blocks on a full pipe.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(wait))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (null, string.Empty);
        }

        process.WaitForExit();
        return (process.ExitCode, error.Result + output.Result);
    }

    private double[]? Fail(string why)
    {
        Interlocked.Increment(ref _failed);
        Volatile.Write(ref _lastFailure, why);
        return null;
    }

    private static string Tail(string text)
    {
        string trimmed = text.Trim().ReplaceLineEndings(" ");
        return trimmed.Length <= 300 ? trimmed : "..." + trimmed[^300..];
    }

    private string? ReadVersion()
    {
        try
        {
            var (exitCode, said) = RunChild(["-version"], TimeSpan.FromSeconds(10));
            if (exitCode is null)
            {
                return null;
            }

            foreach (string line in said.Split('\n'))
            {
                if (line.StartsWith("Version:", StringComparison.Ordinal))
                {
                    return line["Version:".Length..].Trim();
                }
            }

            return null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    private static (CbcCommand?, string?) Find()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } named)
        {
            return File.Exists(named)
                ? (new CbcCommand(named), null)
                : (null, $"{ExecutableVariable}={named} names no file");
        }

        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, "cbc");
            if (File.Exists(candidate))
            {
                return (new CbcCommand(candidate), null);
            }
        }

        return (null, "COIN-OR CBC's cbc command is not on the search path (Debian: apt-get install coinor-cbc; or set " + ExecutableVariable + ")");
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind costs a few kilobytes; it never costs the solve.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
