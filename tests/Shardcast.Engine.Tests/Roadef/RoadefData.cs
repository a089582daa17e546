using Shardcast.Engine.Roadef;

namespace Shardcast.Engine.Tests.Roadef;

/// <summary>The challenge's set A, committed under data/roadef2012/A, found by walking up to the repository root.</summary>
internal static class RoadefData
{
    public static readonly string[] SetA = ["a1_1", "a1_2", "a1_3", "a1_4", "a1_5", "a2_1", "a2_2", "a2_3", "a2_4", "a2_5"];

    public static string Directory { get; } = Find();

    public static string File(string prefix, string instance) => Path.Combine(Directory, $"{prefix}_{instance}.txt");

    public static (RoadefInstance Instance, int[] Initial) Load(string instance)
    {
        var model = RoadefFiles.ReadModel(File("model", instance));
        return (model, RoadefFiles.ReadAssignment(File("assignment", instance), model));
    }

    /// <summary>Per machine, the requirement of resource r of the processes an assignment puts on it.</summary>
    public static long[] Usage(RoadefInstance instance, int[] assignment, int r)
    {
        var usage = new long[instance.Machines.Length];
        for (int p = 0; p < assignment.Length; p++)
        {
            usage[assignment[p]] += instance.Processes[p].Requirement[r];
        }

        return usage;
    }

    public static long OriginalCost(string instance) => long.Parse(System.IO.File.ReadAllText(File("original_cost", instance)).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "data", "roadef2012", "A");
            if (System.IO.Directory.Exists(candidate) && System.IO.File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("data/roadef2012/A not found above " + AppContext.BaseDirectory);
    }
}
