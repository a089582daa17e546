using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Shardcast.Engine.Roadef;

/// <summary>
/// Reads the challenge's model and assignment files and writes its solution format (the assignment format:
/// one machine index per process, whitespace separated). Every refusal names the file, the token's position
/// and what was expected there.
/// </summary>
public static class RoadefFiles
{
    public static RoadefInstance ReadModel(string path) => ParseModel(ReadText(path), path);

    public static int[] ReadAssignment(string path, RoadefInstance instance) => ParseAssignment(ReadText(path), instance, path);

    public static RoadefInstance ParseModel(string text, string source = "model")
    {
        var t = new Tokens(text, source);
        int resourceCount = t.Count("resources");
        var resources = new RoadefResource[resourceCount];
        for (int r = 0; r < resourceCount; r++)
        {
            bool transient = t.Flag($"resource {r} transient flag");
            resources[r] = new RoadefResource(transient, t.NonNegative($"resource {r} load cost weight"));
        }

        int machineCount = t.Count("machines");
        var machines = new RoadefMachine[machineCount];
        for (int m = 0; m < machineCount; m++)
        {
            int neighborhood = t.Index($"machine {m} neighbourhood", int.MaxValue);
            int location = t.Index($"machine {m} location", int.MaxValue);
            var capacity = t.Row(resourceCount, $"machine {m} capacity");
            var safety = t.Row(resourceCount, $"machine {m} safety capacity");
            var moveCost = t.Row(machineCount, $"machine {m} move cost");
            for (int r = 0; r < resourceCount; r++)
            {
                if (safety[r] > capacity[r])
                {
                    throw t.Error($"machine {m} safety capacity of resource {r} ({safety[r]}) exceeds its capacity ({capacity[r]})");
                }
            }

            machines[m] = new RoadefMachine(neighborhood, location, capacity, safety, moveCost);
        }

        int serviceCount = t.Count("services");
        var services = new RoadefService[serviceCount];
        for (int s = 0; s < serviceCount; s++)
        {
            int spread = (int)t.NonNegative($"service {s} spread minimum");
            int dependencies = t.Count($"service {s} dependencies");
            var dependsOn = new int[dependencies];
            for (int d = 0; d < dependencies; d++)
            {
                dependsOn[d] = t.Index($"service {s} dependency {d}", serviceCount);
            }

            services[s] = new RoadefService(spread, dependsOn);
        }

        int processCount = t.Count("processes");
        var processes = new RoadefProcess[processCount];
        for (int p = 0; p < processCount; p++)
        {
            int service = t.Index($"process {p} service", serviceCount);
            var requirement = t.Row(resourceCount, $"process {p} requirement");
            processes[p] = new RoadefProcess(service, requirement, t.NonNegative($"process {p} move cost"));
        }

        int balanceCount = t.Count("balance objectives");
        var balances = new RoadefBalance[balanceCount];
        for (int b = 0; b < balanceCount; b++)
        {
            int a = t.Index($"balance {b} first resource", resourceCount);
            int c = t.Index($"balance {b} second resource", resourceCount);
            long target = t.NonNegative($"balance {b} target");
            balances[b] = new RoadefBalance(a, c, target, t.NonNegative($"balance {b} weight"));
        }

        var instance = new RoadefInstance
        {
            Resources = resources,
            Machines = machines,
            Services = services,
            Processes = processes,
            Balances = balances,
            WeightProcessMove = t.NonNegative("process move cost weight"),
            WeightServiceMove = t.NonNegative("service move cost weight"),
            WeightMachineMove = t.NonNegative("machine move cost weight"),
        };
        t.End();
        return instance;
    }

    public static int[] ParseAssignment(string text, RoadefInstance instance, string source = "assignment")
    {
        ArgumentNullException.ThrowIfNull(instance);
        var t = new Tokens(text, source);
        var assignment = new int[instance.Processes.Length];
        for (int p = 0; p < assignment.Length; p++)
        {
            assignment[p] = t.Index($"machine of process {p}", instance.Machines.Length);
        }

        t.End();
        return assignment;
    }

    public static string FormatSolution(IReadOnlyList<int> assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var text = new StringBuilder(assignment.Count * 4);
        for (int p = 0; p < assignment.Count; p++)
        {
            text.Append(assignment[p].ToString(CultureInfo.InvariantCulture)).Append(p + 1 < assignment.Count ? ' ' : '\n');
        }

        return text.ToString();
    }

    public static void WriteSolution(string path, IReadOnlyList<int> assignment) => File.WriteAllText(path, FormatSolution(assignment));

    /// <summary>Writes a model in the challenge's format, field for field what <see cref="ParseModel"/> reads.</summary>
    public static void WriteModel(RoadefInstance instance, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(writer);
        void Line(params ReadOnlySpan<long> values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                if (i > 0)
                {
                    writer.Write(' ');
                }

                writer.Write(values[i].ToString(CultureInfo.InvariantCulture));
            }

            writer.Write('\n');
        }

        Line(instance.Resources.Length);
        foreach (var resource in instance.Resources)
        {
            Line(resource.Transient ? 1 : 0, resource.WeightLoadCost);
        }

        Line(instance.Machines.Length);
        foreach (var machine in instance.Machines)
        {
            Line([machine.Neighborhood, machine.Location, .. machine.Capacity, .. machine.SafetyCapacity, .. machine.MoveCost]);
        }

        Line(instance.Services.Length);
        foreach (var service in instance.Services)
        {
            Line([service.SpreadMin, service.DependsOn.Length, .. service.DependsOn.Select(d => (long)d)]);
        }

        Line(instance.Processes.Length);
        foreach (var process in instance.Processes)
        {
            Line([process.Service, .. process.Requirement, process.MoveCost]);
        }

        Line(instance.Balances.Length);
        foreach (var balance in instance.Balances)
        {
            Line(balance.ResourceA, balance.ResourceB, balance.Target);
            Line(balance.Weight);
        }

        Line(instance.WeightProcessMove, instance.WeightServiceMove, instance.WeightMachineMove);
    }

    public static void WriteModel(RoadefInstance instance, string path)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        WriteModel(instance, writer);
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RoadefFormatException($"cannot read '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Whitespace-separated integers, each read with the name of what it should be. The name of a row's element is
    /// only spelled out when it is wrong: a set B model holds 25 million machine move costs, and formatting a name
    /// for each one took most of the 2.4 s its reading took. The loops are compiled optimised from the start: a
    /// command reads its model once, and the first tier's code took twice as long.
    /// </summary>
    private sealed class Tokens(string text, string source)
    {
        private int _position;
        private int _index;

        public RoadefFormatException Error(string message) => new($"{source}: {message}");

        /// <summary>The next integer, the <paramref name="element"/>-th of the row <paramref name="what"/> names (or the field itself, when negative).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public long Next(string what, int element = -1)
        {
            ReadOnlySpan<char> span = text;
            int position = _position;
            while (position < span.Length && char.IsWhiteSpace(span[position]))
            {
                position++;
            }

            if (position >= span.Length)
            {
                _position = position;
                throw Error($"ends before the {Label(what, element)} (token {_index + 1})");
            }

            // Plain digits, as every challenge file writes them, are summed on the way; anything else (a sign, a
            // stray character, more digits than certainly fit) is left to long.TryParse to accept or refuse.
            int start = position;
            long value = 0;
            bool plain = true;
            for (; position < span.Length; position++)
            {
                char c = span[position];
                uint digit = (uint)(c - '0');
                if (digit <= 9)
                {
                    value = (value * 10) + digit;
                }
                else if (char.IsWhiteSpace(c))
                {
                    break;
                }
                else
                {
                    plain = false;
                }
            }

            _position = position;
            _index++;
            var token = span[start..position];
            if ((!plain || token.Length > 18) && !long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                throw Error($"token {_index} ('{token}') should be the {Label(what, element)}, an integer");
            }

            return value;
        }

        public long NonNegative(string what, int element = -1)
        {
            long v = Next(what, element);
            return v >= 0 ? v : throw Error($"the {Label(what, element)} (token {_index}) must not be negative, found {v}");
        }

        public int Count(string what)
        {
            long v = NonNegative($"number of {what}");
            return v <= 10_000_000 ? (int)v : throw Error($"the number of {what} (token {_index}) is implausibly large: {v}");
        }

        public int Index(string what, int limit)
        {
            long v = NonNegative(what);
            return v < limit ? (int)v : throw Error($"the {what} (token {_index}) is {v}, outside 0..{limit - 1}");
        }

        public bool Flag(string what)
        {
            long v = Next(what);
            return v is 0 or 1 ? v == 1 : throw Error($"the {what} (token {_index}) must be 0 or 1, found {v}");
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public long[] Row(int count, string what)
        {
            var row = new long[count];
            for (int i = 0; i < count; i++)
            {
                row[i] = NonNegative(what, i);
            }

            return row;
        }

        public void End()
        {
            SkipWhiteSpace();
            if (_position < text.Length)
            {
                throw Error($"unexpected data after the last field (token {_index + 1})");
            }
        }

        private void SkipWhiteSpace()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        private static string Label(string what, int element) => element < 0 ? what : $"{what} [{element}]";
    }
}
