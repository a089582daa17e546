using System.Diagnostics;
using System.Text.Json;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Models.Classical;
using Shardcast.Models.Ensemble;
using Shardcast.Models.Forecasting;
using Shardcast.Models.Neural;
using Shardcast.Models.Series;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server;

/// <summary>What an operation may use: the server's state and settings, the request's deadline, its metrics.</summary>
public sealed record RequestContext(ServerOptions Options, SeriesStore Series, RoutingTable Routes, ClusterCache Clusters, ServerMetrics Metrics, DateTimeOffset Deadline, CancellationToken Cancellation)
{
    public TimeSpan Remaining => Deadline - DateTimeOffset.UtcNow;
}

/// <summary>One operation of the protocol.</summary>
public interface IOperation
{
    string Name { get; }

    /// <summary>Whether this request runs on the bounded worker pool (plans, forecasts, evaluations of a cluster sent in full).</summary>
    bool IsHeavy(MsgPackValue body);

    MsgPackValue Run(MsgPackValue body, RequestContext context);
}

/// <summary>`capabilities`: backends, devices, limits, model versions and the operations served.</summary>
public sealed class CapabilitiesOperation : IOperation
{
    public string Name => "capabilities";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        _ = new BodyFields(body, "body");
        var o = context.Options;
        var lstm = LstmDefaultModel.Get();
        var reports = Kernels.Devices.DeviceCatalog.Cached;
        var backends = reports.Select(r => MsgPackValue.Map(
            ("name", MsgPackValue.From(r.Name)),
            ("available", MsgPackValue.From(r.Searchable)),
            ("reason", r.Unavailable is { } why ? MsgPackValue.From(why) : r.Note is { } note ? MsgPackValue.From(note) : MsgPackValue.Nil),
            ("devices", MsgPackValue.FromArray(r.Devices.Select(d => MsgPackValue.Map(
                ("name", MsgPackValue.From(d.Name)), ("kind", MsgPackValue.From(d.Kind)), ("compute_units", MsgPackValue.From((long)d.ComputeUnits)),
                ("memory_bytes", MsgPackValue.From(d.GlobalMemoryBytes)), ("max_work_group", MsgPackValue.From(d.MaxWorkGroupSize))))))));
        return MsgPackValue.Map(
            ("protocol", MsgPackValue.From((long)Messages.Version)),
            ("server", MsgPackValue.From(typeof(CapabilitiesOperation).Assembly.GetName().Version?.ToString() ?? "0")),
            ("ops", MsgPackValue.FromArray(OperationCatalog.Names.Select(MsgPackValue.From))),
            ("backends", MsgPackValue.FromArray(backends)),
            ("limits", MsgPackValue.Map(
                ("max_frame_bytes", MsgPackValue.From((long)o.MaxFrameBytes)),
                ("max_in_flight_per_connection", MsgPackValue.From((long)o.MaxInFlightPerConnection)),
                ("max_connections", MsgPackValue.From((long)o.MaxConnections)),
                ("request_timeout_s", MsgPackValue.From(o.RequestTimeoutSeconds)),
                ("max_stored_points", MsgPackValue.From(o.MaxStoredPoints)),
                ("max_depth", MsgPackValue.From((long)o.MaxDepth)))),
            ("models", MsgPackValue.Map(
                ("known", MsgPackValue.FromArray(ModelNames.Known.Select(MsgPackValue.From))),
                ("lstm", MsgPackValue.Map(
                    ("file_version", MsgPackValue.From((long)LstmModelFile.Version)),
                    ("description", MsgPackValue.From(lstm.Description)),
                    ("hidden", MsgPackValue.From((long)lstm.Network.Hyper.Hidden)),
                    ("horizon", MsgPackValue.From((long)lstm.Network.Hyper.Horizon)),
                    ("quantiles", MsgPackValue.FromArray(lstm.Network.Hyper.Quantiles.Select(MsgPackValue.From))))))),
            ("stored", MsgPackValue.Map(("series", MsgPackValue.From((long)context.Series.Count)), ("points", MsgPackValue.From(context.Series.Points)))),
            ("route_epoch", MsgPackValue.From(context.Routes.Epoch)));
    }
}

/// <summary>`ingest`: load samples appended to series the server keeps, for `forecast` to use by id.</summary>
public sealed class IngestOperation : IOperation
{
    public string Name => "ingest";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "series");
        var series = fields.RequiredArray("series", 1_000_000);
        var lengths = new List<MsgPackValue>();
        long points = 0;
        for (int i = 0; i < series.Count; i++)
        {
            string path = $"body.series[{i}]";
            var s = new BodyFields(series[i], path, "id", "values", "step_seconds", "end");
            string id = s.RequiredString("id");
            double step = s.RequiredNumber("step_seconds");
            if (!(step > 0))
            {
                throw new BadRequestException(s.PathOf("step_seconds"), $"must be positive, found {step}");
            }

            var values = BodyFields.AsNumbers(s.Required("values"), s.PathOf("values"), int.MaxValue);
            double? end = s.Optional("end") is { } e ? BodyFields.AsNumber(e, s.PathOf("end")) : null;
            int length = context.Series.Append(id, step, end, values, path);
            points += values.Length;
            lengths.Add(MsgPackValue.Map(("id", MsgPackValue.From(id)), ("length", MsgPackValue.From((long)length))));
        }

        return MsgPackValue.Map(("series", MsgPackValue.FromArray(lengths)), ("points", MsgPackValue.From(points)), ("stored_points", MsgPackValue.From(context.Series.Points)));
    }
}

/// <summary>`forecast`: series by id (ingested) or inline, H steps at quantiles by any model.</summary>
public sealed class ForecastOperation : IOperation
{
    public string Name => "forecast";

    public bool IsHeavy(MsgPackValue body) => true;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "series", "horizon", "quantiles", "model", "binary");
        int horizon = (int)fields.OptionalInteger("horizon", 12, 1, 4096);
        double[] quantiles = fields.Optional("quantiles") is { } q ? BodyFields.AsNumbers(q, fields.PathOf("quantiles"), 64) : [0.1, 0.5, 0.9];
        if (quantiles.Length == 0)
        {
            throw new BadRequestException("body.quantiles", "at least one quantile is needed (or leave the field out for 0.1, 0.5, 0.9)");
        }

        for (int i = 0; i < quantiles.Length; i++)
        {
            if (!(quantiles[i] > 0 && quantiles[i] < 1))
            {
                throw new BadRequestException($"body.quantiles[{i}]", $"must lie strictly between 0 and 1, found {quantiles[i]}");
            }
        }

        string modelName = fields.OptionalString("model") ?? ModelNames.Auto;
        if (!ModelNames.Known.Contains(modelName))
        {
            throw new BadRequestException("body.model", $"unknown model '{modelName}' (known: {string.Join(", ", ModelNames.Known)})");
        }

        bool binary = fields.OptionalBool("binary", false);
        var series = fields.RequiredArray("series", 100_000).Select((item, i) => Resolve(item, $"body.series[{i}]", context)).ToList();
        var model = new Commands.ModelFactory(null, 0, 1, useDefaultModel: true).Create(modelName);
        var results = new List<MsgPackValue>(series.Count);
        foreach (var (id, history) in series)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            double[][] values;
            bool fellBack;
            try
            {
                (var opened, fellBack) = FleetForecast.OpenOrFallBack(model, history);
                values = opened.Forecast(horizon, quantiles);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new BadRequestException("body", $"{modelName}: {e.Message.Split(" (Parameter")[0]}");
            }

            results.Add(MsgPackValue.Map(
                ("id", MsgPackValue.From(id)),
                ("served_by", MsgPackValue.From(fellBack ? ModelNames.SeasonalNaive : modelName)),
                ("values", binary ? Float32(values) : MsgPackValue.FromArray(values.Select(row => MsgPackValue.FromArray(row.Select(MsgPackValue.From)))))));
        }

        return MsgPackValue.Map(
            ("model", MsgPackValue.From(modelName)), ("horizon", MsgPackValue.From((long)horizon)),
            ("quantiles", MsgPackValue.FromArray(quantiles.Select(MsgPackValue.From))), ("forecasts", MsgPackValue.FromArray(results)));
    }

    /// <summary>[q][h] as one bin of float32, quantile-major.</summary>
    private static MsgPackValue Float32(double[][] values)
    {
        var bytes = new byte[values.Length * values[0].Length * 4];
        int at = 0;
        foreach (var row in values)
        {
            foreach (double v in row)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(at), (float)v);
                at += 4;
            }
        }

        return MsgPackValue.FromBinary(bytes);
    }

    private static (string Id, TimeSeries History) Resolve(MsgPackValue item, string path, RequestContext context)
    {
        var s = new BodyFields(item, path, "id", "values", "step_seconds", "end");
        string id = s.OptionalString("id") ?? path;
        double step;
        double end;
        double[] values;
        if (s.Optional("values") is { } inline)
        {
            values = BodyFields.AsNumbers(inline, s.PathOf("values"), 10_000_000);
            step = s.RequiredNumber("step_seconds");
            end = s.OptionalNumber("end", 0);
        }
        else
        {
            var stored = context.Series.Get(s.RequiredString("id")) ?? throw new ProtocolException(ErrorCodes.NotFound, $"{s.PathOf("id")}: no series '{id}' has been ingested");
            (step, end, values) = stored;
        }

        if (!(step > 0) || values.Length < 2)
        {
            throw new BadRequestException(path, $"a forecast needs a positive step_seconds and at least two values, found step {step} and {values.Length} values");
        }

        var timestamps = new double[values.Length];
        for (int t = 0; t < values.Length; t++)
        {
            timestamps[t] = end - ((values.Length - 1 - t) * step);
        }

        return (id, new TimeSeries(id, timestamps, values));
    }
}

/// <summary>`plan`: the body is a cluster file's fields (plus `options`, `apply`, `require_feasible`); the answer is the plan file's.</summary>
public sealed class PlanOperation : IOperation
{
    public string Name => "plan";

    public bool IsHeavy(MsgPackValue body) => true;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var (spec, extras) = ClusterRequest.Read(body, "options", "apply", "require_feasible", "cache_as");
        var options = PlanRequestOptions(spec, extras.GetValueOrDefault("options"), context);
        var clock = Stopwatch.StartNew();
        var plan = Planner.Plan(spec, options, context.Cancellation);
        if (extras.GetValueOrDefault("cache_as") is { } cacheAs)
        {
            context.Clusters.Put(BodyFields.AsString(cacheAs, "body.cache_as"), plan.Input, plan.Assignment);
        }

        context.Metrics.RecordPlan(plan.Search.Backend, clock.Elapsed);
        using var document = JsonDocument.Parse(PlanFileWriter.ToJson(plan));
        var answer = MsgPackJson.FromJson(document.RootElement);
        if (extras.GetValueOrDefault("apply") is { Kind: MsgPackKind.Boolean, Boolean: true })
        {
            var (epoch, changed) = context.Routes.Apply([.. spec.Partitions.Select((p, i) => (p.Id, spec.Nodes[plan.Assignment[i]].Id))]);
            answer = MsgPackValue.FromMap([.. answer.Pairs, new(MsgPackValue.From("route_epoch"), MsgPackValue.From(epoch)), new(MsgPackValue.From("route_changes"), MsgPackValue.From((long)changed))]);
        }

        if (!plan.Feasible && extras.GetValueOrDefault("require_feasible") is { Kind: MsgPackKind.Boolean, Boolean: true })
        {
            throw new ProtocolException(ErrorCodes.Infeasible, $"no feasible plan found: {plan.Scaling.Reason}", answer);
        }

        return answer;
    }

    private static PlanOptions PlanRequestOptions(ClusterSpec spec, MsgPackValue? value, RequestContext context)
    {
        // The search gets at most what is left of the request's budget, less a margin for judging, sequencing and answering.
        int remainingMs = (int)Math.Clamp((context.Remaining.TotalMilliseconds * 0.8) - 50, 1, int.MaxValue);

        // Building a large cluster's problem takes seconds too: the deadline makes it count against the budget.
        long deadline = PlanOptions.DeadlineIn(0.9 * context.Remaining, TimeProvider.System);
        if (value is null)
        {
            return new PlanOptions { TimeMs = Math.Min(spec.Search.TimeMs, remainingMs), Deadline = deadline };
        }

        var o = new BodyFields(value, "body.options", "time_ms", "seed", "backend", "algorithm", "steps_per_chain");
        string? backend = o.OptionalString("backend");
        if (backend is not null && !BackendCatalog.Known.Contains(backend))
        {
            throw new BadRequestException("body.options.backend", $"expected one of {string.Join(", ", BackendCatalog.Known)}, found '{backend}'");
        }

        string? algorithm = o.OptionalString("algorithm");
        long timeMs = o.OptionalInteger("time_ms", -1, 1, int.MaxValue);
        return new PlanOptions
        {
            TimeMs = (int)Math.Min(timeMs > 0 ? timeMs : spec.Search.TimeMs, remainingMs),
            Deadline = deadline,
            Seed = o.Optional("seed") is { } seed ? (ulong)o.OptionalInteger("seed", 1, 0, long.MaxValue) : null,
            Backend = backend,
            Algorithm = algorithm is null ? null : algorithm is "anneal" or "genetic" or "greedy" or "genetic-anneal" ? Planner.ParseAlgorithm(algorithm) : throw new BadRequestException("body.options.algorithm", $"expected anneal, genetic, greedy or genetic-anneal, found '{algorithm}'"),
            StepsPerChain = o.Optional("steps_per_chain") is not null ? o.OptionalInteger("steps_per_chain", 0, 1, long.MaxValue) : null,
        };
    }
}

/// <summary>
/// `evaluate`: a cluster (its fields, or `cluster`: the name it was cached under) and an assignment (partition id
/// -> node id, node ids or indices in partition order, or bin of int32 indices); the cost by term, peaks and
/// what is broken, by the double-precision reference. Evaluations of a cached cluster are light: they skip the
/// worker pool, since they parse no cluster.
/// </summary>
public sealed class EvaluateOperation : IOperation
{
    public string Name => "evaluate";

    public bool IsHeavy(MsgPackValue body) => body["cluster"] is null;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        PlanningInput input;
        AssignmentEvaluator? evaluator = null;
        MsgPackValue? assignmentValue;
        int[]? assignment = null;
        bool withNodes;
        if (body["cluster"] is { } name)
        {
            var fields = new BodyFields(body, "body", "cluster", "assignment", "node_peaks");
            evaluator = context.Clusters.Get(BodyFields.AsString(name, "body.cluster"), "body.cluster");
            input = evaluator.Input;
            assignmentValue = fields.Optional("assignment");
            withNodes = fields.OptionalBool("node_peaks", true);
        }
        else
        {
            var (sent, extras) = ClusterRequest.Read(body, "assignment", "cache_as", "node_peaks");
            input = PlanningInput.From(sent);
            assignmentValue = extras.GetValueOrDefault("assignment");
            if (extras.GetValueOrDefault("cache_as") is { } cacheAs)
            {
                assignment = assignmentValue is null ? null : ReadAssignment(input, assignmentValue);
                context.Clusters.Put(BodyFields.AsString(cacheAs, "body.cache_as"), input, assignment);
            }

            withNodes = extras.GetValueOrDefault("node_peaks") is not { Kind: MsgPackKind.Boolean, Boolean: false };
        }

        assignment ??= ReadAssignment(input, assignmentValue ?? throw new BadRequestException("body.assignment", "required"));
        var evaluation = evaluator is not null ? evaluator.Evaluate(assignment) : ReferenceCost.Evaluate(input, assignment);
        var spec = input.Spec;
        var c = evaluation.Cost;
        var cost = new List<(string, MsgPackValue)>
        {
            ("balance", MsgPackValue.From(c.Balance)), ("headroom", MsgPackValue.From(c.Headroom)), ("migration", MsgPackValue.From(c.Migration)),
            ("affinity", MsgPackValue.From(c.Affinity)), ("lineage", MsgPackValue.From(c.Lineage)),
        };
        if (evaluator?.UsesExtendedModel ?? spec.UsesExtendedModel)
        {
            cost.AddRange([("safety", MsgPackValue.From(c.Safety)), ("resource_balance", MsgPackValue.From(c.ResourceBalance)), ("partition_move", MsgPackValue.From(c.PartitionMove)),
                ("group_move", MsgPackValue.From(c.GroupMove)), ("node_move", MsgPackValue.From(c.NodeMove))]);
        }

        cost.AddRange([("total", MsgPackValue.From(c.Total)), ("overload", MsgPackValue.From(c.Overload)), ("violations", MsgPackValue.From(c.Violations))]);
        var answer = new List<(string, MsgPackValue)>
        {
            ("feasible", MsgPackValue.From(evaluation.Feasible)),
            ("cost", MsgPackValue.Map([.. cost])),
            ("peak_utilisation", MsgPackValue.From(evaluation.PeakUtilisation)),
            ("moves", MsgPackValue.From((long)evaluation.Moves)),
            ("moved_bytes", MsgPackValue.From(evaluation.MovedBytes)),
        };
        if (withNodes)
        {
            answer.Add(("nodes", MsgPackValue.FromArray(spec.Nodes.Select((n, i) => MsgPackValue.Map(("id", MsgPackValue.From(n.Id)), ("peak", MsgPackValue.From(evaluation.NodePeakUtilisation[i])))))));
        }

        answer.Add(("broken", MsgPackValue.FromArray(evaluation.Broken.Select(MsgPackValue.From))));
        return MsgPackValue.Map([.. answer]);
    }

    private static int[] ReadAssignment(PlanningInput input, MsgPackValue value)
    {
        var spec = input.Spec;
        int nodeCount = spec.Nodes.Count;
        if (value.Kind == MsgPackKind.Binary)
        {
            // The fast path of NumPy clients: the bin becomes the assignment itself, checked in place.
            var indices = BodyFields.AsIntegers(value, "body.assignment", spec.Partitions.Count);
            if (indices.Length != spec.Partitions.Count)
            {
                throw new BadRequestException("body.assignment", $"expected {spec.Partitions.Count} node indices (one per partition), found {indices.Length}");
            }

            for (int p = 0; p < indices.Length; p++)
            {
                if ((uint)indices[p] >= (uint)nodeCount)
                {
                    throw new BadRequestException($"body.assignment[{p}]", $"node index {indices[p]} out of range");
                }
            }

            return indices;
        }

        var result = (int[])input.Initial.Clone();
        int NodeIndex(MsgPackValue v, string path) =>
            v.Kind == MsgPackKind.String ? input.NodeIndex.TryGetValue(v.String, out int n) ? n : throw new BadRequestException(path, $"unknown node id '{v.String}'")
            : v.Kind == MsgPackKind.Integer && !v.IsNegative && v.UInt < (ulong)nodeCount ? (int)v.Int
            : throw new BadRequestException(path, $"expected a node id or index, found {BodyFields.Describe(v)}");
        switch (value.Kind)
        {
            case MsgPackKind.Map:
                foreach (var pair in value.Pairs)
                {
                    string key = pair.Key.Kind == MsgPackKind.String ? pair.Key.String : throw new BadRequestException("body.assignment", "keys are partition ids");
                    int p = input.PartitionIndex.TryGetValue(key, out int index) ? index : throw new BadRequestException($"body.assignment.{key}", "unknown partition id");
                    result[p] = NodeIndex(pair.Value, $"body.assignment.{key}");
                }

                return result;
            case MsgPackKind.Array:
                if (value.Items.Count != spec.Partitions.Count)
                {
                    throw new BadRequestException("body.assignment", $"expected {spec.Partitions.Count} nodes (one per partition), found {value.Items.Count}");
                }

                for (int p = 0; p < value.Items.Count; p++)
                {
                    result[p] = NodeIndex(value.Items[p], $"body.assignment[{p}]");
                }

                return result;
            default:
                throw new BadRequestException("body.assignment", $"expected a map of partition -> node, an array or bin of int32, found {BodyFields.Describe(value)}");
        }
    }
}

/// <summary>`route`: the routing table, or the entries changed since an epoch.</summary>
public sealed class RouteOperation : IOperation
{
    public string Name => "route";

    public bool IsHeavy(MsgPackValue body) => false;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "since");
        ulong since = (ulong)fields.OptionalInteger("since", 0, 0, long.MaxValue);
        var (epoch, entries) = context.Routes.Since(since);
        return MsgPackValue.Map(
            ("epoch", MsgPackValue.From(epoch)),
            ("since", MsgPackValue.From(since)),
            ("entries", MsgPackValue.FromArray(entries.Select(e => MsgPackValue.Map(("partition", MsgPackValue.From(e.Partition)), ("node", MsgPackValue.From(e.Node)), ("epoch", MsgPackValue.From(e.Epoch)))))));
    }
}

/// <summary>Every operation by name.</summary>
public static class OperationCatalog
{
    public static IReadOnlyList<IOperation> All { get; } =
        [new CapabilitiesOperation(), new IngestOperation(), new ForecastOperation(), new PlanOperation(), new EvaluateOperation(), new RouteOperation()];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(o => o.Name)];

    public static IOperation? Find(string name) => All.FirstOrDefault(o => o.Name == name);
}

/// <summary>A request body holding a cluster file's fields and some of the operation's own.</summary>
public static class ClusterRequest
{
    public static (ClusterSpec Spec, Dictionary<string, MsgPackValue> Extras) Read(MsgPackValue body, params string[] ownKeys)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.Kind != MsgPackKind.Map)
        {
            throw new BadRequestException("body", $"expected a map of the cluster file's fields, found {BodyFields.Describe(body)}");
        }

        var extras = new Dictionary<string, MsgPackValue>(StringComparer.Ordinal);
        var cluster = new List<KeyValuePair<MsgPackValue, MsgPackValue>>();
        foreach (var pair in body.Pairs)
        {
            if (pair.Key.Kind == MsgPackKind.String && ownKeys.Contains(pair.Key.String))
            {
                extras[pair.Key.String] = pair.Value;
            }
            else
            {
                cluster.Add(pair);
            }
        }

        string json = JsonBridge.ToJson(MsgPackValue.FromMap([.. cluster]), "body");
        try
        {
            return (ClusterFileReader.Parse(json), extras);
        }
        catch (ClusterFileException e)
        {
            // The reader names JSON paths ($.partitions[3].load); on the wire they are body paths.
            throw new BadRequestException("body" + e.Field.TrimStart('$'), e.Reason);
        }
    }
}
