using Shardcast.Engine.Generation;
using Shardcast.Kernels;
using Shardcast.Kernels.Managed;
using Shardcast.Kernels.Probes;
using Shardcast.Kernels.Search;

namespace Shardcast.Engine.Planning;

/// <summary>One check of a device backend against the references, and what it found.</summary>
public sealed record BackendCheck(string Backend, string Check, bool Passed, string Detail);

/// <summary>
/// Verifies a device backend on this machine before anyone trusts its plans (`shardcast capabilities --verify`):
/// batch costs of generated clusters against the double-precision reference, and an annealing run against the
/// managed backend from the same seed and steps (the same best energy within 1e-4, no hard constraint broken). The
/// conformance suite's checks, for a machine that has a device but no SDK to run the suite.
/// </summary>
public static class BackendVerification
{
    private const double RelativeTolerance = 1e-4;

    public static IReadOnlyList<BackendCheck> Verify(ISearchBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var checks = new List<BackendCheck>();
        try
        {
            checks.Add(BatchCosts(backend));
            checks.Add(Annealing(backend));
        }
        catch (Exception e) when (FallbackBackend.IsDeviceFailure(e))
        {
            checks.Add(new BackendCheck(backend.Name, "device", false, e.Message));
        }

        return checks;
    }

    private static BackendCheck BatchCosts(ISearchBackend backend)
    {
        var input = PlanningInput.From(ClusterGenerator.Generate(new GeneratorOptions(2000, 64, 12, 3, 11)));
        var problem = ProblemBuilder.Build(input);
        var rng = new System.Random(11);
        var candidates = new List<int[]> { input.Initial.ToArray() };
        for (int k = 0; k < 7; k++)
        {
            double share = k % 2 == 0 ? 1.0 : 0.1;
            candidates.Add(input.Initial.Select(n => rng.NextDouble() < share ? rng.Next(problem.Nodes) : n).ToArray());
        }

        var costs = ((IBatchEvaluator)backend).EvaluateBatch(problem, candidates);
        double worst = 0;
        bool violationsAgree = true;
        for (int k = 0; k < candidates.Count; k++)
        {
            var reference = ReferenceCost.Evaluate(input, candidates[k]).Cost;
            worst = Math.Max(worst, Math.Abs(costs[k].Energy - reference.Energy) / (1e-3 + Math.Abs(reference.Energy)));
            violationsAgree &= costs[k].Violations == reference.Violations;
        }

        return new BackendCheck(backend.Name, "batch costs vs double reference (2000/64/12/3, 8 candidates)", worst <= RelativeTolerance && violationsAgree,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"largest relative energy error {worst:E2} (allowed {RelativeTolerance:E0}); violations {(violationsAgree ? "agree" : "differ")}"));
    }

    private static BackendCheck Annealing(ISearchBackend backend)
    {
        var input = PlanningInput.From(ClusterGenerator.Generate(new GeneratorOptions(400, 16, 6, 2, 1)));
        var problem = ProblemBuilder.Build(input);
        var options = new SearchOptions { TimeBudget = null, MaxStepsPerChain = 30_000, StepsPerEpoch = 2_000, Seed = 1, Chains = 2, Threads = 2 };
        var managed = new ManagedBackend().Search(problem, input.Initial.ToArray(), options);
        var device = backend.Search(problem, input.Initial.ToArray(), options);
        double gap = Math.Abs(device.Cost.Energy - managed.Cost.Energy) / Math.Abs(managed.Cost.Energy);
        var broken = ReferenceCost.Evaluate(input, device.Assignment).Broken;
        bool identical = device.Assignment.AsSpan().SequenceEqual(managed.Assignment);
        return new BackendCheck(backend.Name, "annealing vs managed from the same seed (400/16/6/2, 2 x 30,000 steps)", gap <= RelativeTolerance && broken.Count == 0,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"energy {device.Cost.Energy:0.######} against {managed.Cost.Energy:0.######} ({gap:E2} relative); plan {(identical ? "identical" : "different")}; {broken.Count} constraints broken"));
    }
}
