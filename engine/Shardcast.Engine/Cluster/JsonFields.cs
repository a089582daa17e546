using System.Text.Json;

namespace Shardcast.Engine.Cluster;

/// <summary>
/// Strict reading of one JSON object: every key must be known, none may repeat, and every refusal names the
/// JSON path of the offending field.
/// </summary>
internal readonly struct JsonFields
{
    private readonly Dictionary<string, JsonElement> _fields;

    private JsonFields(string path, Dictionary<string, JsonElement> fields)
    {
        Path = path;
        _fields = fields;
    }

    public string Path { get; }

    public static JsonFields Of(JsonElement element, string path, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ClusterFileException(path, $"expected an object, found {Describe(element)}");
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (Array.IndexOf(allowed, property.Name) < 0)
            {
                throw new ClusterFileException(Child(path, property.Name), $"unknown key (allowed here: {string.Join(", ", allowed)})");
            }

            if (!fields.TryAdd(property.Name, property.Value))
            {
                throw new ClusterFileException(Child(path, property.Name), "duplicate key");
            }
        }

        return new JsonFields(path, fields);
    }

    public static string Child(string path, string key) => $"{path}.{key}";

    public static string Item(string path, int index) => $"{path}[{index}]";

    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => $"an array of {element.GetArrayLength()}",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public string PathOf(string key) => Child(Path, key);

    public bool Has(string key) => _fields.TryGetValue(key, out var e) && e.ValueKind != JsonValueKind.Null;

    public JsonElement Required(string key) =>
        _fields.TryGetValue(key, out var e) && e.ValueKind != JsonValueKind.Null
            ? e
            : throw new ClusterFileException(PathOf(key), "required");

    public JsonElement? Optional(string key) =>
        _fields.TryGetValue(key, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    public string RequiredString(string key) => AsString(Required(key), PathOf(key));

    public string? OptionalString(string key) => Optional(key) is { } e ? AsString(e, PathOf(key)) : null;

    public double RequiredNumber(string key) => AsNumber(Required(key), PathOf(key));

    public double OptionalNumber(string key, double fallback) => Optional(key) is { } e ? AsNumber(e, PathOf(key)) : fallback;

    public bool OptionalBool(string key, bool fallback)
    {
        if (Optional(key) is not { } e)
        {
            return fallback;
        }

        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ClusterFileException(PathOf(key), $"expected true or false, found {Describe(e)}"),
        };
    }

    public JsonElement.ArrayEnumerator RequiredArray(string key) => AsArray(Required(key), PathOf(key));

    public static JsonElement.ArrayEnumerator AsArray(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Array
            ? element.EnumerateArray()
            : throw new ClusterFileException(path, $"expected an array, found {Describe(element)}");

    public static string AsString(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new ClusterFileException(path, $"expected a string, found {Describe(element)}");
        }

        string value = element.GetString()!;
        return value.Length > 0 ? value : throw new ClusterFileException(path, "must not be empty");
    }

    public static double AsNumber(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out double value) || !double.IsFinite(value))
        {
            throw new ClusterFileException(path, $"expected a finite number, found {Describe(element)}");
        }

        return value;
    }

    public static double AsNonNegative(JsonElement element, string path)
    {
        double value = AsNumber(element, path);
        return value >= 0 ? value : throw new ClusterFileException(path, $"must not be negative, found {value}");
    }

    public static long AsInteger(JsonElement element, string path, long min, long max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long value))
        {
            throw new ClusterFileException(path, $"expected an integer, found {Describe(element)}");
        }

        return value >= min && value <= max
            ? value
            : throw new ClusterFileException(path, $"must lie in [{min}, {max}], found {value}");
    }

    /// <summary>An array of exactly <paramref name="count"/> finite non-negative numbers.</summary>
    public static double[] AsRow(JsonElement element, string path, int count, string what) =>
        TryRow(element, count) ?? throw RowError(element, path, count, what);

    /// <summary>
    /// An array of exactly <paramref name="count"/> finite non-negative numbers, or null. Load rows are most of a
    /// large cluster file: the happy path builds no path strings (millions of them at 100k partitions).
    /// </summary>
    public static double[]? TryRow(JsonElement element, int count)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() != count)
        {
            return null;
        }

        var row = new double[count];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out double value) || !double.IsFinite(value) || value < 0)
            {
                return null;
            }

            row[i++] = value;
        }

        return row;
    }

    /// <summary>What is wrong with a row that <see cref="TryRow"/> refused, naming the element.</summary>
    public static ClusterFileException RowError(JsonElement element, string path, int count, string what)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            return new ClusterFileException(path, $"expected {what}: an array of {count} numbers, found {Describe(element)}");
        }

        int length = element.GetArrayLength();
        if (length != count)
        {
            return new ClusterFileException(path, $"expected {what}: {count} numbers, found {length}");
        }

        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            AsNonNegative(item, Item(path, i++));
        }

        throw new InvalidOperationException($"{path}: a row refused without a reason");
    }
}
