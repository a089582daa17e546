using System.Buffers;
using System.Text;
using System.Text.Json;
using Shardcast.Models.Events;

namespace Shardcast.Engine.Cluster;

/// <summary>
/// Reads the cluster file (docs/cluster-file.md). Everything is checked before anything is returned: shapes, ranges,
/// that every id resolves, and that every replica group can be placed at all. A refusal is a
/// <see cref="ClusterFileException"/> naming the JSON path and the reason; nothing half-read is planned.
/// </summary>
public static class ClusterFileReader
{
    private const int MaxDepth = 32;

    private static readonly string[] TopKeys =
        ["resources", "horizon", "nodes", "partitions", "tenants", "groups", "affinity", "zone_distance", "objective", "budget", "search",
         "transient_resources", "node_move_cost", "events", "restructure"];

    private static readonly string[] Backends = ["auto", "managed", "opencl", "cuda"];
    private static readonly string[] Algorithms = ["anneal", "genetic", "greedy", "genetic-anneal"];

    public static ClusterSpec ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClusterFileException("$", $"cannot read '{path}': {e.Message}");
        }

        return Parse(bytes);
    }

    public static ClusterSpec Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static ClusterSpec Parse(ReadOnlyMemory<byte> utf8)
    {
        var (top, partitions) = Split(utf8);
        using (top)
        {
            return Read(top.RootElement, utf8, partitions);
        }
    }

    /// <summary>
    /// The parser's words without the position it appends (0-based, where the field name already gives it 1-based)
    /// and without its advice to change reader options, which is about the parser's settings, not the file.
    /// </summary>
    internal static string JsonErrorText(JsonException e)
    {
        string text = System.Text.RegularExpressions.Regex.Replace(e.Message, @"\s*(Path: \S*)?\s*\|?\s*LineNumber: \d+ \| BytePositionInLine: \d+\.?\s*$", string.Empty);
        return text.Replace(" Change the reader options.", string.Empty, StringComparison.Ordinal).Trim();
    }

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>
    /// One pass of the tokenizer over the whole file, so every syntax error is reported here with its line. Every
    /// top-level member is copied into a small document except the items of the partitions array, whose place in the
    /// file is returned instead: a document of a whole 1M-partition file costs twice the file in memory that must be
    /// allocated and cleared, while the partitions are read one small document at a time.
    /// </summary>
    private static (JsonDocument Top, Range? Partitions) Split(ReadOnlyMemory<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8.Span, ReaderOptions);
        var copy = new ArrayBufferWriter<byte>();
        Range? partitions = null;
        try
        {
            using (var writer = new Utf8JsonWriter(copy, new JsonWriterOptions { SkipValidation = true }))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    // Not an object: the small document is the value itself, refused by the usual checks.
                    long at = reader.TokenStartIndex;
                    reader.Skip();
                    writer.WriteRawValue(utf8.Span[(int)at..(int)reader.BytesConsumed], skipInputValidation: true);
                }
                else
                {
                    writer.WriteStartObject();
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        bool isPartitions = reader.ValueTextEquals("partitions"u8);
                        writer.WritePropertyName(reader.GetString()!);
                        reader.Read();
                        long start = reader.TokenStartIndex;
                        reader.Skip();
                        int end = (int)reader.BytesConsumed;
                        if (isPartitions && reader.TokenType == JsonTokenType.EndArray)
                        {
                            partitions = (int)start..end;
                            writer.WriteStartArray();
                            writer.WriteEndArray();
                        }
                        else
                        {
                            writer.WriteRawValue(utf8.Span[(int)start..end], skipInputValidation: true);
                        }
                    }

                    writer.WriteEndObject();
                }
            }

            // Anything after the top-level value is refused by the tokenizer itself.
            reader.Read();
        }
        catch (JsonException e)
        {
            throw new ClusterFileException($"$ (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})", $"not valid JSON: {JsonErrorText(e)}");
        }

        return (JsonDocument.Parse(copy.WrittenMemory, new JsonDocumentOptions { MaxDepth = MaxDepth }), partitions);
    }

    private static ClusterSpec Read(JsonElement root, ReadOnlyMemory<byte> utf8, Range? partitionItems)
    {
        var top = JsonFields.Of(root, "$", TopKeys);
        var resources = ReadResources(top);
        var horizon = ReadHorizon(top);
        var nodes = ReadNodes(top, resources.Count);
        var nodeIds = IndexOf(nodes.Select(n => n.Id), "$.nodes", "id");
        var tenants = ReadTenants(top, nodeIds);
        var tenantIds = IndexOf(tenants.Select(t => t.Id), "$.tenants", "id");
        var groups = ReadGroups(top);
        var groupIds = IndexOf(groups.Select(g => g.Id), "$.groups", "id");
        var partitions = ReadPartitions(top, utf8, partitionItems, resources.Count, horizon, nodes, nodeIds, tenants, tenantIds);
        var partitionIds = IndexOf(partitions.Select(p => p.Id), "$.partitions", "id");
        CheckParents(partitions, partitionIds);
        var affinity = ReadAffinity(top, partitionIds);
        var zones = nodes.Select(n => n.Zone).ToHashSet(StringComparer.Ordinal);
        var zoneDistance = ReadZoneDistance(top, zones);
        var objective = ReadObjective(top, resources);
        var budget = ReadBudget(top);
        var search = ReadSearch(top);
        CheckDependencies(groups, partitions);
        var spec = new ClusterSpec(resources, horizon, nodes, partitions, tenants, groups, affinity, zoneDistance, objective, budget, search)
        {
            TransientResources = ReadTransient(top, resources),
            NodeMoveCost = ReadNodeMoveCost(top, nodeIds),
            Events = ReadEvents(top, partitionIds, tenantIds),
            Restructure = ReadRestructure(top),
        };
        CheckPlacement(spec, groupIds);
        return spec;
    }

    private static Dictionary<string, int> IndexOf(IEnumerable<string> ids, string path, string key)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        int i = 0;
        foreach (string id in ids)
        {
            if (!index.TryAdd(id, i))
            {
                string at = key.Length == 0 ? $"{path}[{i}]" : $"{path}[{i}].{key}";
                throw new ClusterFileException(at, $"duplicate id '{id}' (first at {path}[{index[id]}])");
            }

            i++;
        }

        return index;
    }

    private static List<string> ReadResources(JsonFields top)
    {
        var resources = new List<string>();
        int i = 0;
        foreach (var item in top.RequiredArray("resources"))
        {
            resources.Add(JsonFields.AsString(item, JsonFields.Item("$.resources", i++)));
        }

        if (resources.Count is 0 or > ClusterSpec.MaxResources)
        {
            throw new ClusterFileException("$.resources", $"expected 1 to {ClusterSpec.MaxResources} resources, found {resources.Count}");
        }

        IndexOf(resources, "$.resources", string.Empty);
        return resources;
    }

    private static HorizonSpec ReadHorizon(JsonFields top)
    {
        var horizon = JsonFields.Of(top.Required("horizon"), "$.horizon", "steps", "step_seconds", "forecast_model");
        int steps = (int)JsonFields.AsInteger(horizon.Required("steps"), horizon.PathOf("steps"), 1, ClusterSpec.MaxHorizonSteps);
        double stepSeconds = horizon.RequiredNumber("step_seconds");
        if (stepSeconds <= 0)
        {
            throw new ClusterFileException(horizon.PathOf("step_seconds"), $"must be positive, found {stepSeconds}");
        }

        string model = horizon.OptionalString("forecast_model") ?? HorizonSpec.DefaultForecastModel;
        if (!Models.Forecasting.ModelNames.Known.Contains(model))
        {
            throw new ClusterFileException(horizon.PathOf("forecast_model"), $"must be one of {string.Join(", ", Models.Forecasting.ModelNames.Known)}, found '{model}'");
        }

        return new HorizonSpec(steps, stepSeconds, model);
    }

    private static List<NodeSpec> ReadNodes(JsonFields top, int resources)
    {
        var nodes = new List<NodeSpec>();
        int i = 0;
        foreach (var item in top.RequiredArray("nodes"))
        {
            string path = JsonFields.Item("$.nodes", i++);
            var node = JsonFields.Of(item, path, "id", "capacity", "zone", "state", "safety", "neighborhood");
            string id = node.RequiredString("id");
            double[] capacity = JsonFields.AsRow(node.Required("capacity"), node.PathOf("capacity"), resources, "one capacity per resource");
            for (int r = 0; r < capacity.Length; r++)
            {
                if (capacity[r] <= 0)
                {
                    throw new ClusterFileException(JsonFields.Item(node.PathOf("capacity"), r), $"capacity must be positive, found {capacity[r]}");
                }
            }

            string zone = node.OptionalString("zone") ?? "default";
            string stateText = node.OptionalString("state") ?? "active";
            var state = stateText switch
            {
                "active" => NodeState.Active,
                "draining" => NodeState.Draining,
                "new" => NodeState.New,
                _ => throw new ClusterFileException(node.PathOf("state"), $"expected active, draining or new, found '{stateText}'"),
            };
            double[]? safety = null;
            if (node.Optional("safety") is { } s)
            {
                safety = JsonFields.AsRow(s, node.PathOf("safety"), resources, "one safety capacity per resource");
                for (int r = 0; r < safety.Length; r++)
                {
                    if (safety[r] < 0 || safety[r] > capacity[r])
                    {
                        throw new ClusterFileException(JsonFields.Item(node.PathOf("safety"), r), $"a safety capacity must lie in [0, capacity {capacity[r]}], found {safety[r]}");
                    }
                }
            }

            nodes.Add(new NodeSpec(id, capacity, zone, state) { Safety = safety, Neighborhood = node.OptionalString("neighborhood") });
        }

        if (nodes.Count == 0)
        {
            throw new ClusterFileException("$.nodes", "at least one node is required");
        }

        if (nodes.All(n => n.State == NodeState.Draining))
        {
            throw new ClusterFileException("$.nodes", "every node is draining: nothing can hold the partitions");
        }

        return nodes;
    }

    private static List<TenantSpec> ReadTenants(JsonFields top, Dictionary<string, int> nodeIds)
    {
        var tenants = new List<TenantSpec>();
        if (top.Optional("tenants") is not { } array)
        {
            return tenants;
        }

        int i = 0;
        foreach (var item in JsonFields.AsArray(array, "$.tenants"))
        {
            string path = JsonFields.Item("$.tenants", i++);
            var tenant = JsonFields.Of(item, path, "id", "nodes");
            var nodes = new List<string>();
            int j = 0;
            foreach (var n in tenant.RequiredArray("nodes"))
            {
                string nodePath = JsonFields.Item(tenant.PathOf("nodes"), j++);
                string id = JsonFields.AsString(n, nodePath);
                if (!nodeIds.ContainsKey(id))
                {
                    throw new ClusterFileException(nodePath, $"unknown node id '{id}'");
                }

                nodes.Add(id);
            }

            if (nodes.Count == 0)
            {
                throw new ClusterFileException(tenant.PathOf("nodes"), "a tenant needs at least one node");
            }

            tenants.Add(new TenantSpec(tenant.RequiredString("id"), nodes));
        }

        return tenants;
    }

    private static List<GroupSpec> ReadGroups(JsonFields top)
    {
        var groups = new List<GroupSpec>();
        if (top.Optional("groups") is not { } array)
        {
            return groups;
        }

        int i = 0;
        foreach (var item in JsonFields.AsArray(array, "$.groups"))
        {
            string path = JsonFields.Item("$.groups", i++);
            var group = JsonFields.Of(item, path, "id", "min_zones", "depends_on");
            int minZones = group.Optional("min_zones") is { } z ? (int)JsonFields.AsInteger(z, group.PathOf("min_zones"), 1, 1024) : 1;
            var dependsOn = new List<string>();
            if (group.Optional("depends_on") is { } deps)
            {
                int j = 0;
                foreach (var d in JsonFields.AsArray(deps, group.PathOf("depends_on")))
                {
                    dependsOn.Add(JsonFields.AsString(d, JsonFields.Item(group.PathOf("depends_on"), j++)));
                }
            }

            groups.Add(new GroupSpec(group.RequiredString("id"), minZones) { DependsOn = dependsOn });
        }

        return groups;
    }

    private static readonly string[] PartitionKeys = ["id", "node", "size_bytes", "tenant", "group", "parent", "pinned", "tags", "load", "history", "move_cost", "segments"];

    /// <summary>
    /// Partitions are most of a large file (a million objects of a dozen rows each), so a partition given by its load
    /// builds no JSON path and no key string unless something is refused (one given by a history builds its history's
    /// path), and repeated names (node and tenant ids, tag keys and values) share one string each rather than one per
    /// partition.
    /// </summary>
    private static List<PartitionSpec> ReadPartitions(
        JsonFields top, ReadOnlyMemory<byte> utf8, Range? items, int resources, HorizonSpec horizon, List<NodeSpec> nodes, Dictionary<string, int> nodeIds,
        List<TenantSpec> tenants, Dictionary<string, int> tenantIds)
    {
        var partitions = new List<PartitionSpec>();
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);

        // The top document holds an empty placeholder where the partitions array was, or the value itself where it
        // is not an array, refused here by its shape.
        top.RequiredArray("partitions");
        if (items is { } range)
        {
            var reader = new Utf8JsonReader(utf8.Span[range], ReaderOptions);
            reader.Read();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                using var item = JsonDocument.ParseValue(ref reader);
                partitions.Add(ReadPartition(item.RootElement, partitions.Count, resources, horizon, nodes, nodeIds, tenants, tenantIds, strings));
            }
        }

        if (partitions.Count == 0)
        {
            throw new ClusterFileException("$.partitions", "at least one partition is required");
        }

        return partitions;
    }

    private static PartitionSpec ReadPartition(
        JsonElement item, int index, int resources, HorizonSpec horizon, List<NodeSpec> nodes, Dictionary<string, int> nodeIds,
        List<TenantSpec> tenants, Dictionary<string, int> tenantIds, Dictionary<string, string> strings)
    {
        var p = JsonFields.Of(item, "$.partitions", index, PartitionKeys);
        string id = p.RequiredString("id");
        string node = p.RequiredString("node");
        if (!nodeIds.TryGetValue(node, out int nodeIndex))
        {
            throw new ClusterFileException(p.PathOf("node"), $"unknown node id '{node}'");
        }

        double size = p.OptionalNonNegative("size_bytes", 0);
        string? tenant = p.OptionalString("tenant");
        if (tenant is not null)
        {
            tenant = tenantIds.TryGetValue(tenant, out int tenantIndex)
                ? tenants[tenantIndex].Id
                : throw new ClusterFileException(p.PathOf("tenant"), $"unknown tenant id '{tenant}'");
        }

        IReadOnlyDictionary<string, string> tags = p.Optional("tags") is { } tagObject ? ReadTags(tagObject, p, strings) : NoTags;
        double[][]? load = p.Optional("load") is { } l ? ReadMatrix(l, p, "load", horizon.Steps, resources, exactRows: true) : null;
        HistorySpec? history = p.Optional("history") is { } h ? ReadHistory(h, p.PathOf("history"), resources) : null;
        var segments = p.Optional("segments") is { } s ? ReadSegments(s, p, resources, horizon) : [];
        if (load is null && history is null && segments.Count == 0)
        {
            throw new ClusterFileException(p.PathOf("load"), "required unless history or segments are given (the planning load is then forecast from the history, or the sum of the segments')");
        }

        return new PartitionSpec(id, nodes[nodeIndex].Id, size, tenant, p.OptionalString("group"), p.OptionalString("parent"), p.OptionalBool("pinned", false), tags, load, history)
        {
            MoveCost = p.OptionalNonNegative("move_cost", 0),
            Segments = segments,
        };
    }

    private static readonly IReadOnlyDictionary<string, string> NoTags = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    private static Dictionary<string, string> ReadTags(JsonElement tagObject, JsonFields owner, Dictionary<string, string> strings)
    {
        if (tagObject.ValueKind != JsonValueKind.Object)
        {
            throw new ClusterFileException(owner.PathOf("tags"), $"expected an object of strings, found {JsonFields.Describe(tagObject)}");
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in tagObject.EnumerateObject())
        {
            if (tag.Value.ValueKind != JsonValueKind.String)
            {
                throw new ClusterFileException(JsonFields.Child(owner.PathOf("tags"), tag.Name), $"expected a string, found {JsonFields.Describe(tag.Value)}");
            }

            if (!tags.TryAdd(Shared(strings, tag.Name), Shared(strings, tag.Value.GetString()!)))
            {
                throw new ClusterFileException(JsonFields.Child(owner.PathOf("tags"), tag.Name), "duplicate key");
            }
        }

        return tags;
    }

    /// <summary>One instance of each distinct string: tag keys and values repeat across a million partitions.</summary>
    private static string Shared(Dictionary<string, string> strings, string value)
    {
        ref string? shared = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(strings, value, out _);
        shared ??= value;
        return shared;
    }

    /// <summary>The matrix at <paramref name="key"/> of <paramref name="owner"/>; its path is built only to name a refusal.</summary>
    private static double[][] ReadMatrix(JsonElement element, JsonFields owner, string key, int rows, int columns, bool exactRows)
    {
        string path() => owner.PathOf(key);

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new ClusterFileException(path(), $"expected {(exactRows ? rows.ToString(System.Globalization.CultureInfo.InvariantCulture) : "some")} rows of {columns} numbers, found {JsonFields.Describe(element)}");
        }

        int length = element.GetArrayLength();
        if (exactRows && length != rows)
        {
            throw new ClusterFileException(path(), $"expected {rows} rows (one per horizon step) of {columns} numbers, found {length} rows");
        }

        if (!exactRows && length == 0)
        {
            throw new ClusterFileException(path(), "needs at least one row");
        }

        var matrix = new double[length][];
        int i = 0;
        foreach (var row in element.EnumerateArray())
        {
            matrix[i] = JsonFields.TryRow(row, columns) ?? throw JsonFields.RowError(row, JsonFields.Item(path(), i), columns, "one value per resource");
            i++;
        }

        return matrix;
    }

    private static List<SegmentSpec> ReadSegments(JsonElement element, JsonFields owner, int resources, HorizonSpec horizon)
    {
        var segments = new List<SegmentSpec>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (var item in JsonFields.AsArray(element, owner.PathOf("segments")))
        {
            var s = JsonFields.Of(item, owner.PathOf("segments"), i++, ["id", "size_bytes", "load", "history"]);
            string id = s.RequiredString("id");
            if (!ids.Add(id))
            {
                throw new ClusterFileException(s.PathOf("id"), $"duplicate segment id '{id}'");
            }

            double? size = s.Optional("size_bytes") is { } b ? JsonFields.AsNonNegative(b, s.PathOf("size_bytes")) : null;
            double[][]? load = s.Optional("load") is { } l ? ReadMatrix(l, s, "load", horizon.Steps, resources, exactRows: true) : null;
            HistorySpec? history = s.Optional("history") is { } h ? ReadHistory(h, s.PathOf("history"), resources) : null;
            if (load is null && history is null)
            {
                throw new ClusterFileException(s.PathOf("load"), "a segment needs its load or its history");
            }

            segments.Add(new SegmentSpec(id, size, load, history));
        }

        return segments;
    }

    private static RestructureSpec ReadRestructure(JsonFields top)
    {
        if (top.Optional("restructure") is not { } element)
        {
            return RestructureSpec.Default;
        }

        var r = JsonFields.Of(element, "$.restructure", "enabled", "split_share", "merge_share");
        var d = RestructureSpec.Default;
        double split = r.OptionalNumber("split_share", d.SplitShare);
        double merge = r.OptionalNumber("merge_share", d.MergeShare);
        if (!(split > 0))
        {
            throw new ClusterFileException(r.PathOf("split_share"), $"must be above 0, found {split}");
        }

        if (!(merge >= 0 && merge < split))
        {
            throw new ClusterFileException(r.PathOf("merge_share"), $"must be 0 or more and below split_share ({split}), found {merge}");
        }

        return new RestructureSpec(r.Optional("enabled") is not null ? r.OptionalBool("enabled", false) : null, split, merge);
    }

    private static HistorySpec ReadHistory(JsonElement element, string path, int resources)
    {
        var history = JsonFields.Of(element, path, "step_seconds", "values", "end");
        double step = history.RequiredNumber("step_seconds");
        if (step <= 0)
        {
            throw new ClusterFileException(history.PathOf("step_seconds"), $"must be positive, found {step}");
        }

        double? end = history.Optional("end") is { } e ? JsonFields.AsNumber(e, history.PathOf("end")) : null;
        return new HistorySpec(step, ReadMatrix(history.Required("values"), history, "values", 0, resources, exactRows: false), end);
    }

    private static void CheckParents(List<PartitionSpec> partitions, Dictionary<string, int> ids)
    {
        for (int i = 0; i < partitions.Count; i++)
        {
            string? parent = partitions[i].Parent;
            if (parent is null)
            {
                continue;
            }

            string path = $"$.partitions[{i}].parent";
            if (!ids.TryGetValue(parent, out int at))
            {
                throw new ClusterFileException(path, $"unknown partition id '{parent}'");
            }

            // Lineage must be a forest: walk up, and a walk longer than the partition count is a cycle.
            for (int steps = 0; at >= 0; steps++)
            {
                if (at == i || steps > partitions.Count)
                {
                    throw new ClusterFileException(path, $"lineage of '{partitions[i].Id}' loops back to itself");
                }

                at = partitions[at].Parent is { } up ? ids[up] : -1;
            }
        }
    }

    private static List<EventSpec> ReadEvents(JsonFields top, Dictionary<string, int> partitionIds, Dictionary<string, int> tenantIds)
    {
        var events = new List<EventSpec>();
        if (top.Optional("events") is not { } array)
        {
            return events;
        }

        int i = 0;
        foreach (var item in JsonFields.AsArray(array, "$.events"))
        {
            var e = JsonFields.Of(item, JsonFields.Item("$.events", i++), "tag", "start", "end", "multiplier", "partitions", "tenant");
            string tag = e.RequiredString("tag");
            if (tag.Trim().Length == 0)
            {
                throw new ClusterFileException(e.PathOf("tag"), "an event needs a non-empty tag");
            }

            double start = e.RequiredNumber("start");
            double end = e.RequiredNumber("end");
            if (!(end > start))
            {
                throw new ClusterFileException(e.PathOf("end"), $"must be after start ({start}), found {end}");
            }

            double? multiplier = e.Optional("multiplier") is { } m ? JsonFields.AsNumber(m, e.PathOf("multiplier")) : null;
            if (multiplier is { } value && !(value >= KnownEvent.MinMultiplier && value <= KnownEvent.MaxMultiplier))
            {
                throw new ClusterFileException(e.PathOf("multiplier"), $"must lie between {KnownEvent.MinMultiplier} and {KnownEvent.MaxMultiplier}, found {value}");
            }

            var covered = new List<string>();
            if (e.Optional("partitions") is { } ids)
            {
                int j = 0;
                foreach (var id in JsonFields.AsArray(ids, e.PathOf("partitions")))
                {
                    string path = JsonFields.Item(e.PathOf("partitions"), j++);
                    string partition = JsonFields.AsString(id, path);
                    covered.Add(partitionIds.ContainsKey(partition) ? partition : throw new ClusterFileException(path, $"unknown partition id '{partition}'"));
                }
            }

            string? tenant = e.OptionalString("tenant");
            if (tenant is not null && !tenantIds.ContainsKey(tenant))
            {
                throw new ClusterFileException(e.PathOf("tenant"), $"unknown tenant '{tenant}'");
            }

            events.Add(new EventSpec(tag, start, end, multiplier, covered, tenant));
        }

        return events;
    }

    private static List<AffinitySpec> ReadAffinity(JsonFields top, Dictionary<string, int> partitionIds)
    {
        var edges = new List<AffinitySpec>();
        if (top.Optional("affinity") is not { } array)
        {
            return edges;
        }

        int i = 0;
        foreach (var item in JsonFields.AsArray(array, "$.affinity"))
        {
            var edge = JsonFields.Of(item, JsonFields.Item("$.affinity", i++), "a", "b", "weight");
            string a = edge.RequiredString("a");
            string b = edge.RequiredString("b");
            foreach (var (key, id) in new[] { ("a", a), ("b", b) })
            {
                if (!partitionIds.ContainsKey(id))
                {
                    throw new ClusterFileException(edge.PathOf(key), $"unknown partition id '{id}'");
                }
            }

            if (a == b)
            {
                throw new ClusterFileException(edge.PathOf("b"), "an affinity edge joins two different partitions");
            }

            double weight = edge.OptionalNumber("weight", 1);
            if (weight <= 0)
            {
                throw new ClusterFileException(edge.PathOf("weight"), $"must be positive, found {weight}");
            }

            edges.Add(new AffinitySpec(a, b, weight));
        }

        return edges;
    }

    private static List<ZoneDistanceSpec> ReadZoneDistance(JsonFields top, HashSet<string> zones)
    {
        var distances = new List<ZoneDistanceSpec>();
        if (top.Optional("zone_distance") is not { } array)
        {
            return distances;
        }

        int i = 0;
        foreach (var item in JsonFields.AsArray(array, "$.zone_distance"))
        {
            var d = JsonFields.Of(item, JsonFields.Item("$.zone_distance", i++), "a", "b", "cost");
            string a = d.RequiredString("a");
            string b = d.RequiredString("b");
            foreach (var (key, zone) in new[] { ("a", a), ("b", b) })
            {
                if (!zones.Contains(zone))
                {
                    throw new ClusterFileException(d.PathOf(key), $"no node is in zone '{zone}'");
                }
            }

            double cost = d.RequiredNumber("cost");
            if (cost < 0)
            {
                throw new ClusterFileException(d.PathOf("cost"), $"must not be negative, found {cost}");
            }

            distances.Add(new ZoneDistanceSpec(a, b, cost));
        }

        return distances;
    }

    private static ObjectiveSpec ReadObjective(JsonFields top, List<string> resources)
    {
        if (top.Optional("objective") is not { } element)
        {
            return ObjectiveSpec.Default;
        }

        var o = JsonFields.Of(element, "$.objective", "w_bal", "w_over", "theta", "w_move", "w_aff", "w_lin", "quantile",
            "hard_capacity", "w_safety", "resource_balance", "w_partition_move", "w_group_move", "w_node_move");
        var d = ObjectiveSpec.Default;
        double Weight(string key, double fallback)
        {
            double w = o.OptionalNumber(key, fallback);
            return w >= 0 ? w : throw new ClusterFileException(o.PathOf(key), $"weights must not be negative, found {w}");
        }

        double theta = o.OptionalNumber("theta", d.Theta);
        if (theta is <= 0 or > 1)
        {
            throw new ClusterFileException(o.PathOf("theta"), $"the target utilisation must lie in (0, 1], found {theta}");
        }

        double quantile = o.OptionalNumber("quantile", d.Quantile);
        if (quantile is <= 0 or >= 1)
        {
            throw new ClusterFileException(o.PathOf("quantile"), $"must lie in (0, 1), found {quantile}");
        }

        double[]? safety = null;
        if (o.Optional("w_safety") is { } ws)
        {
            safety = JsonFields.AsRow(ws, o.PathOf("w_safety"), resources.Count, "one weight per resource");
            for (int r = 0; r < safety.Length; r++)
            {
                if (safety[r] < 0)
                {
                    throw new ClusterFileException(JsonFields.Item(o.PathOf("w_safety"), r), $"weights must not be negative, found {safety[r]}");
                }
            }
        }

        return new ObjectiveSpec(Weight("w_bal", d.WBalance), Weight("w_over", d.WOver), theta, Weight("w_move", d.WMove), Weight("w_aff", d.WAffinity), Weight("w_lin", d.WLineage), quantile)
        {
            HardCapacity = o.OptionalBool("hard_capacity", false),
            WSafety = safety,
            ResourceBalance = ReadResourceBalance(o, resources),
            WPartitionMove = Weight("w_partition_move", 0),
            WGroupMove = Weight("w_group_move", 0),
            WNodeMove = Weight("w_node_move", 0),
        };
    }

    private static List<ResourceBalanceSpec> ReadResourceBalance(JsonFields objective, List<string> resources)
    {
        var terms = new List<ResourceBalanceSpec>();
        if (objective.Optional("resource_balance") is not { } array)
        {
            return terms;
        }

        int i = 0;
        foreach (var item in JsonFields.AsArray(array, objective.PathOf("resource_balance")))
        {
            var b = JsonFields.Of(item, JsonFields.Item(objective.PathOf("resource_balance"), i++), "a", "b", "target", "weight");
            string a = b.RequiredString("a");
            string c = b.RequiredString("b");
            foreach (var (key, name) in new[] { ("a", a), ("b", c) })
            {
                if (!resources.Contains(name))
                {
                    throw new ClusterFileException(b.PathOf(key), $"unknown resource '{name}'");
                }
            }

            double target = b.RequiredNumber("target");
            double weight = b.RequiredNumber("weight");
            if (target < 0 || weight < 0)
            {
                throw new ClusterFileException(b.PathOf(target < 0 ? "target" : "weight"), $"must not be negative, found {Math.Min(target, weight)}");
            }

            terms.Add(new ResourceBalanceSpec(a, c, target, weight));
        }

        return terms;
    }

    private static List<string> ReadTransient(JsonFields top, List<string> resources)
    {
        var transient = new List<string>();
        if (top.Optional("transient_resources") is not { } array)
        {
            return transient;
        }

        int i = 0;
        foreach (var item in JsonFields.AsArray(array, "$.transient_resources"))
        {
            string path = JsonFields.Item("$.transient_resources", i++);
            string name = JsonFields.AsString(item, path);
            if (!resources.Contains(name))
            {
                throw new ClusterFileException(path, $"unknown resource '{name}'");
            }

            transient.Add(name);
        }

        IndexOf(transient, "$.transient_resources", string.Empty);
        return transient;
    }

    private static List<NodeMoveCostSpec> ReadNodeMoveCost(JsonFields top, Dictionary<string, int> nodeIds)
    {
        var costs = new List<NodeMoveCostSpec>();
        if (top.Optional("node_move_cost") is not { } array)
        {
            return costs;
        }

        var seen = new Dictionary<(string, string), int>();
        int i = 0;
        foreach (var item in JsonFields.AsArray(array, "$.node_move_cost"))
        {
            string path = JsonFields.Item("$.node_move_cost", i);
            var c = JsonFields.Of(item, path, "from", "to", "cost");
            string from = c.RequiredString("from");
            string to = c.RequiredString("to");
            foreach (var (key, id) in new[] { ("from", from), ("to", to) })
            {
                if (!nodeIds.ContainsKey(id))
                {
                    throw new ClusterFileException(c.PathOf(key), $"unknown node id '{id}'");
                }
            }

            if (!seen.TryAdd((from, to), i))
            {
                throw new ClusterFileException(path, $"duplicate pair '{from}' -> '{to}' (first at $.node_move_cost[{seen[(from, to)]}])");
            }

            costs.Add(new NodeMoveCostSpec(from, to, JsonFields.AsNonNegative(c.Required("cost"), c.PathOf("cost"))));
            i++;
        }

        return costs;
    }

    /// <summary>Every depends_on names a group that exists (declared or used by a partition) other than itself.</summary>
    private static void CheckDependencies(List<GroupSpec> groups, List<PartitionSpec> partitions)
    {
        var known = groups.Select(g => g.Id).Concat(partitions.Where(p => p.Group is not null).Select(p => p.Group!)).ToHashSet(StringComparer.Ordinal);
        for (int g = 0; g < groups.Count; g++)
        {
            for (int j = 0; j < groups[g].DependsOn.Count; j++)
            {
                string path = $"$.groups[{g}].depends_on[{j}]";
                string other = groups[g].DependsOn[j];
                if (other == groups[g].Id)
                {
                    throw new ClusterFileException(path, $"group '{other}' cannot depend on itself");
                }

                if (!known.Contains(other))
                {
                    throw new ClusterFileException(path, $"unknown group id '{other}'");
                }
            }
        }
    }

    private static BudgetSpec ReadBudget(JsonFields top)
    {
        if (top.Optional("budget") is not { } element)
        {
            return BudgetSpec.Unlimited;
        }

        var b = JsonFields.Of(element, "$.budget", "max_moves", "max_bytes");
        int? moves = b.Optional("max_moves") is { } m ? (int)JsonFields.AsInteger(m, b.PathOf("max_moves"), 0, int.MaxValue) : null;
        double? bytes = b.Optional("max_bytes") is { } x ? JsonFields.AsNonNegative(x, b.PathOf("max_bytes")) : null;
        return new BudgetSpec(moves, bytes);
    }

    private static SearchSpec ReadSearch(JsonFields top)
    {
        if (top.Optional("search") is not { } element)
        {
            return SearchSpec.Default;
        }

        var s = JsonFields.Of(element, "$.search", "backend", "time_ms", "seed", "algorithm");
        var d = SearchSpec.Default;
        string backend = s.OptionalString("backend") ?? d.Backend;
        if (Array.IndexOf(Backends, backend) < 0)
        {
            throw new ClusterFileException(s.PathOf("backend"), $"expected one of {string.Join(", ", Backends)}, found '{backend}'");
        }

        string algorithm = s.OptionalString("algorithm") ?? d.Algorithm;
        if (Array.IndexOf(Algorithms, algorithm) < 0)
        {
            throw new ClusterFileException(s.PathOf("algorithm"), $"expected one of {string.Join(", ", Algorithms)}, found '{algorithm}'");
        }

        int time = s.Optional("time_ms") is { } t ? (int)JsonFields.AsInteger(t, s.PathOf("time_ms"), 1, 3_600_000) : d.TimeMs;
        ulong seed = s.Optional("seed") is { } x ? (ulong)JsonFields.AsInteger(x, s.PathOf("seed"), 0, long.MaxValue) : d.Seed;
        return new SearchSpec(backend, time, seed, algorithm);
    }

    /// <summary>Refuses what no plan could satisfy: pinned partitions on forbidden nodes, groups that cannot fit.</summary>
    private static void CheckPlacement(ClusterSpec spec, Dictionary<string, int> declaredGroups)
    {
        var nodeIndex = spec.Nodes.Select((n, i) => (n.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var tenantNodes = spec.Tenants.ToDictionary(t => t.Id, t => t.Nodes.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        bool Allowed(PartitionSpec p, NodeSpec n) =>
            n.State != NodeState.Draining && (p.Tenant is null || tenantNodes[p.Tenant].Contains(n.Id));

        var members = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < spec.Partitions.Count; i++)
        {
            var p = spec.Partitions[i];
            var node = spec.Nodes[nodeIndex[p.Node]];
            if (p.Pinned && !Allowed(p, node))
            {
                string why = node.State == NodeState.Draining ? "which is draining" : $"which tenant '{p.Tenant}' may not use";
                throw new ClusterFileException($"$.partitions[{i}].pinned", $"'{p.Id}' is pinned to node '{p.Node}' {why}");
            }

            if (p.Group is { } g)
            {
                if (!members.TryGetValue(g, out var list))
                {
                    members[g] = list = [];
                }

                list.Add(i);
            }
        }

        // What a group can spread over depends only on its members' tenants: counted once per tenant combination,
        // not once per group and node (a 100k-partition file has tens of thousands of groups and a thousand nodes).
        var spread = new Dictionary<string, (int Nodes, int Zones)>(StringComparer.Ordinal);
        foreach (var (group, list) in members)
        {
            string key = TenantKey(spec, list);
            if (!spread.TryGetValue(key, out var usable))
            {
                // Nodes that every member may use bound what the group can spread over.
                var nodes = spec.Nodes.Where(n => list.All(i => Allowed(spec.Partitions[i], n))).ToList();
                spread[key] = usable = (nodes.Count, nodes.Select(n => n.Zone).Distinct(StringComparer.Ordinal).Count());
            }

            string where = declaredGroups.TryGetValue(group, out int gi) ? $"$.groups[{gi}]" : $"$.partitions[{list[0]}].group";
            if (list.Count > usable.Nodes)
            {
                throw new ClusterFileException(where, $"group '{group}' has {list.Count} members but only {usable.Nodes} nodes can hold all of them, so they cannot sit on distinct nodes");
            }

            int minZones = gi >= 0 && declaredGroups.ContainsKey(group) ? spec.Groups[gi].MinZones : 1;
            int zones = usable.Zones;
            if (minZones > list.Count)
            {
                throw new ClusterFileException($"{where}.min_zones", $"group '{group}' has {list.Count} members, too few to span {minZones} zones");
            }

            if (minZones > zones)
            {
                throw new ClusterFileException($"{where}.min_zones", $"group '{group}' must span {minZones} zones but its members may only use nodes in {zones}");
            }
        }
    }

    /// <summary>The distinct tenants of a group's members, length-prefixed and in order ("-" for a member bound to none): equal keys, equal usable nodes.</summary>
    private static string TenantKey(ClusterSpec spec, List<int> members) =>
        string.Concat(members.Select(i => spec.Partitions[i].Tenant is { } t ? $"{t.Length}:{t}" : "-").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
}
