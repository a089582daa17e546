using Shardcast.Models.Forecasting;

namespace Shardcast.Host.Server.Operations;

/// <summary>Every operation by name.</summary>
public static class OperationCatalog
{
    public static IReadOnlyList<IOperation> All { get; } =
        [new CapabilitiesOperation(), new IngestOperation(), new ForecastOperation(), new PlanOperation(), new EvaluateOperation(), new RouteOperation(), new StoreOperation(), new ExecuteOperation(), new ExecutionOperation(), new ControlOperation()];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(o => o.Name)];

    public static IOperation? Find(string name) => All.FirstOrDefault(o => o.Name == name);
}
