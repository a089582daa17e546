using Shardcast.DataPlane.Execution;
using Shardcast.DataPlane.Layout;
using Shardcast.Engine.Cluster;
using Shardcast.Engine.Planning;
using Shardcast.Protocol.MessagePack;

namespace Shardcast.Host.Server.Operations;

/// <summary>
/// `execute`: carries a plan out on the managed store. The plan is the body's `plan` (a plan file's fields, as `plan`
/// answers them or `shardcast plan` writes them, made from the store's cluster file), or, without one, a plan made
/// now from a fresh snapshot. Answers at once with the execution's number; `execution` reports its progress and
/// events and pauses, resumes or cancels it. A plan sent while another runs is reconciled with it (the moves not yet
/// started are replaced; moves in flight finish).
/// </summary>
public sealed class ExecuteOperation : IOperation
{
    public string Name => "execute";

    public bool IsHeavy(MsgPackValue body) => true;

    public MsgPackValue Run(MsgPackValue body, RequestContext context)
    {
        var fields = new BodyFields(body, "body", "cluster", "plan", "partitions", "node_capacity", "options", "concurrency", "per_node", "throttle_bytes_per_second");
        var store = StoreRequest.Resolve(context, fields);
        var executor = new ExecutorOptions
        {
            MaxConcurrentMoves = (int)fields.OptionalInteger("concurrency", 4, 1, 1024),
            MaxMovesPerNode = (int)fields.OptionalInteger("per_node", 2, 1, 1024),
            BytesPerSecond = fields.Optional("throttle_bytes_per_second") is null ? 0 : Positive(fields.RequiredNumber("throttle_bytes_per_second"), "body.throttle_bytes_per_second"),
        };

        MigrationPlan migration;
        Plan? plan = null;
        var map = store.Store.ReadSlotMapAsync().GetAwaiter().GetResult();
        if (fields.Optional("plan") is { } planBody)
        {
            try
            {
                migration = StorePlan.FromPlanFile(JsonBridge.ToUtf8Json(planBody, "body.plan"), map);
            }
            catch (FormatException e)
            {
                throw new BadRequestException("body.plan", e.Message.Replace("$.", "", StringComparison.Ordinal));
            }
            catch (ArgumentException e)
            {
                throw new BadRequestException("body.plan.moves", e.Message);
            }
        }
        else
        {
            int partitions = (int)fields.OptionalInteger("partitions", context.Options.StorePartitions, 1, 16384);
            var snapshot = store.SnapshotAsync(partitions, context.Cancellation).GetAwaiter().GetResult();
            double capacity = fields.Optional("node_capacity") is not null ? Positive(fields.RequiredNumber("node_capacity"), "body.node_capacity") : StoreClusterFile.DefaultCapacity(snapshot);
            var spec = ClusterFileReader.Parse(StoreClusterFile.ToUtf8(snapshot, capacity));
            plan = Planner.Plan(spec, PlanOperation.RequestOptions(spec, fields.Optional("options"), context), context.Cancellation);
            migration = StorePlan.From(plan.Moves, snapshot.Map);
        }

        var (execution, number, replaced) = store.Execute(migration, executor);
        var answer = new List<(string, MsgPackValue)>
        {
            ("cluster", MsgPackValue.From(context.Options.StoreName)),
            ("execution", MsgPackValue.From(number)),
            ("replaced", MsgPackValue.From(replaced)),
            ("moves", MsgPackValue.From(migration.Moves.Count)),
            ("bytes", MsgPackValue.From(Math.Round(migration.Bytes))),
        };
        if (plan is not null)
        {
            answer.Add(("plan", PlanOperation.Answer(plan)));
        }

        answer.Add(("progress", StoreRequest.Progress(execution.Progress, number)));
        return MsgPackValue.Map([.. answer]);
    }

    private static double Positive(double value, string path) =>
        value > 0 && double.IsFinite(value) ? value : throw new BadRequestException(path, $"expected a positive number, found {value}");
}
