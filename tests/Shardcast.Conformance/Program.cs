using System.Diagnostics;
using System.Reflection;
using Xunit.Sdk;

namespace Shardcast.Conformance;

/// <summary>
/// Runs test classes of the backend conformance suite without a test host: every public method marked as a fact
/// (or a theory with inline data) of each class named, one instance per method as xunit would make, awaited where
/// it returns a task. A skipped fact counts as a failure unless --allow-skips is given, so a GPU run where CUDA went
/// missing cannot pass by skipping. Usage: Shardcast.Conformance [--allow-skips] Class [Class ...]; exit code 1 on
/// any failure.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        bool allowSkips = args.Contains("--allow-skips");
        var names = args.Where(a => a != "--allow-skips").ToArray();
        if (names.Length == 0)
        {
            Console.Error.WriteLine("usage: Shardcast.Conformance [--allow-skips] Class [Class ...]   (e.g. CudaConformanceTests CudaDriverBindingTests NvrtcCompileTests)");
            return 2;
        }

        var types = typeof(Program).Assembly.GetTypes();
        int passed = 0, failed = 0, skipped = 0;
        foreach (string name in names)
        {
            var type = types.SingleOrDefault(t => t.Name == name && !t.IsAbstract);
            if (type is null)
            {
                Console.Error.WriteLine($"no test class named {name}; known: {string.Join(", ", types.Where(t => t.Name.EndsWith("Tests", StringComparison.Ordinal)).Select(t => t.Name).Order())}");
                return 2;
            }

            foreach (var (method, fact, arguments) in Cases(type))
            {
                string label = arguments.Length == 0 ? $"{type.Name}.{method.Name}" : $"{type.Name}.{method.Name}({string.Join(", ", arguments)})";
                if (fact.Skip is { } reason)
                {
                    Console.WriteLine($"SKIP {label}: {reason}");
                    skipped++;
                    continue;
                }

                long start = Stopwatch.GetTimestamp();
                try
                {
                    await RunAsync(type, method, arguments);
                    Console.WriteLine($"PASS {label} ({Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s)");
                    passed++;
                }
                catch (Exception e)
                {
                    var cause = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
                    Console.WriteLine($"FAIL {label} ({Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s): {cause.GetType().Name}: {cause.Message}");
                    failed++;
                }
            }
        }

        Console.WriteLine($"conformance: {passed} passed, {failed} failed, {skipped} skipped");
        return failed > 0 || (skipped > 0 && !allowSkips) || passed == 0 ? 1 : 0;
    }

    private static IEnumerable<(MethodInfo Method, FactAttribute Fact, object?[] Arguments)> Cases(Type type)
    {
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance).OrderBy(m => m.MetadataToken))
        {
            if (method.GetCustomAttribute<FactAttribute>() is not { } fact)
            {
                continue;
            }

            var rows = method.GetCustomAttributes<DataAttribute>().SelectMany(d => d.GetData(method)).ToList();
            if (rows.Count == 0)
            {
                yield return (method, fact, []);
            }

            foreach (var row in rows)
            {
                yield return (method, fact, row);
            }
        }
    }

    private static async Task RunAsync(Type type, MethodInfo method, object?[] arguments)
    {
        object instance = Activator.CreateInstance(type)!;
        try
        {
            if (method.Invoke(instance, arguments) is Task task)
            {
                await task;
            }
        }
        finally
        {
            (instance as IDisposable)?.Dispose();
        }
    }
}
