using Shardcast.Engine.Planning;
using Shardcast.Protocol;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

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
