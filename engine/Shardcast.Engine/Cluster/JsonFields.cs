using System.Text.Json;

namespace Shardcast.Engine.Cluster;

/// <summary>
/// Strict reading of one JSON object: every key must be known, none may repeat, and every refusal names the
/// JSON path of the offending field. Nothing is allocated on the happy path (no key strings, no field map, no
/// path strings): a large cluster file has a million of these objects, and the paths are only ever needed to
/// name what was refused.
/// </summary>
internal readonly struct JsonFields
{
    /// <summary>Keys an object may allow at most: the duplicate check is one bit per allowed key.</summary>
    private const int MaxAllowed = 64;

    private readonly JsonElement _element;
    private readonly string _basePath;
    private readonly int _index;

    private JsonFields(JsonElement element, string basePath, int index)
    {
        _element = element;
        _basePath = basePath;
        _index = index;
    }

    /// <summary>The object's JSON path, built when asked (only to name a refusal, off the happy path).</summary>
    public string Path => _index < 0 ? _basePath : Item(_basePath, _index);

    public static JsonFields Of(JsonElement element, string path, params string[] allowed) => Of(element, path, -1, allowed);

    /// <summary>The object at <paramref name="arrayPath"/>[<paramref name="index"/>], its path built only if it is refused.</summary>
    public static JsonFields Of(JsonElement element, string arrayPath, int index, string[] allowed)
    {
        if (allowed.Length > MaxAllowed)
        {
            throw new ArgumentException($"at most {MaxAllowed} keys can be allowed", nameof(allowed));
        }

        var fields = new JsonFields(element, arrayPath, index);
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ClusterFileException(fields.Path, $"expected an object, found {Describe(element)}");
        }

        ulong seen = 0;
        foreach (var property in element.EnumerateObject())
        {
            int key = IndexOfKey(property, allowed);
            if (key < 0)
            {
                throw new ClusterFileException(Child(fields.Path, property.Name), $"unknown key (allowed here: {string.Join(", ", allowed)})");
            }

            ulong bit = 1UL << key;
            if ((seen & bit) != 0)
            {
                throw new ClusterFileException(Child(fields.Path, property.Name), "duplicate key");
            }

            seen |= bit;
        }

        return fields;
    }

    private static int IndexOfKey(JsonProperty property, string[] allowed)
    {
        for (int i = 0; i < allowed.Length; i++)
        {
            if (property.NameEquals(allowed[i]))
            {
                return i;
            }
        }

        return -1;
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

    public JsonElement Required(string key) =>
        Optional(key) is { } e ? e : throw new ClusterFileException(PathOf(key), "required");

    // Keys are unique (checked by Of), so the first match is the only one.
    public JsonElement? Optional(string key) =>
        _element.TryGetProperty(key, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    public string RequiredString(string key) => StringAt(Required(key), key);

    public string? OptionalString(string key) => Optional(key) is { } e ? StringAt(e, key) : null;

    public double RequiredNumber(string key) => NumberAt(Required(key), key);

    public double OptionalNumber(string key, double fallback) => Optional(key) is { } e ? NumberAt(e, key) : fallback;

    public double OptionalNonNegative(string key, double fallback)
    {
        if (Optional(key) is not { } e)
        {
            return fallback;
        }

        double value = NumberAt(e, key);
        return value >= 0 ? value : AsNonNegative(e, PathOf(key));
    }

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

    public JsonElement.ArrayEnumerator RequiredArray(string key)
    {
        var e = Required(key);
        return e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : AsArray(e, PathOf(key));
    }

    /// <summary>The string at <paramref name="key"/>; the path is built only to refuse it.</summary>
    private string StringAt(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } value ? value : AsString(e, PathOf(key));

    private double NumberAt(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double value) && double.IsFinite(value) ? value : AsNumber(e, PathOf(key));

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
