using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;

namespace Shardcast.Engine.Tests.Planning;

/// <summary>The balance-vs-movement curve: a plan per byte budget, each within its budget, none worse than a smaller budget's, the plan itself last.</summary>
public sealed class MovementCurveTests
{
    [Fact]
    public void Each_budget_gets_a_plan_within_it_and_more_bytes_never_buy_a_worse_plan()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(600, 20, 6, 2, 11, 0.7));
        var options = new PlanOptions { StepsPerChain = 20_000, Seed = 3, AdviseScaling = false, Threads = 2 };
        var plan = Planner.Plan(spec, options);
        var curved = MovementCurve.Attach(plan, null, options);

        var curve = curved.Curve!;
        var budgets = MovementCurve.AutoBudgets(plan.After.MovedBytes);
        Assert.Equal(budgets.Count + 1, curve.Count);
        Assert.Null(curve[^1].BudgetBytes);
        Assert.Equal(plan.After.MovedBytes, curve[^1].MovedBytes);
        for (int i = 0; i < budgets.Count; i++)
        {
            Assert.Equal(budgets[i], curve[i].BudgetBytes);
            Assert.True(curve[i].MovedBytes <= budgets[i] + 1e-6, $"budget {budgets[i]:0} moved {curve[i].MovedBytes:0}");
            if (i > 0)
            {
                Assert.True(curve[i].Energy <= curve[i - 1].Energy + 1e-9, $"point {i} energy {curve[i].Energy} above point {i - 1}'s {curve[i - 1].Energy}");
            }
        }

        // The curve says something: no bytes keeps the start's peak, half the bytes already lowers it.
        Assert.Equal(0, curve[0].MovedBytes);
        Assert.Equal(plan.Before.PeakUtilisation, curve[0].PeakUtilisation, 9);
        Assert.True(curve[4].PeakUtilisation < curve[0].PeakUtilisation, $"{curve[4].PeakUtilisation:P1} with half the bytes against {curve[0].PeakUtilisation:P1} with none");
        Assert.Same(plan.Assignment, curved.Assignment);
    }

    [Fact]
    public void A_negative_budget_is_refused_naming_it()
    {
        var spec = ClusterGenerator.Generate(new GeneratorOptions(100, 8, 4, 2, 1));
        var e = Assert.Throws<PlanningException>(() => MovementCurve.Compute(spec, [1e9, -5], new PlanOptions { StepsPerChain = 1000 }));
        Assert.Contains("-5", e.Message, StringComparison.Ordinal);
    }
}
