using System.Globalization;
using Shardcast.Engine.Cluster;

namespace Shardcast.Engine.Planning;

/// <summary>A partition cut in two at a segment: it keeps the segments before <paramref name="At"/>, the new child the rest.</summary>
public sealed record SplitDecision(string Partition, string Child, string At, double PeakShare, string Reason);

/// <summary>Children joined back into their parent on the parent's node.</summary>
public sealed record MergeDecision(IReadOnlyList<string> Partitions, string Into, double PeakShare, string Reason);

/// <summary>The cluster the search places (with every load as forecast), and the splits and merges that made it.</summary>
public sealed record Restructuring(ClusterSpec Spec, IReadOnlyList<SplitDecision> Splits, IReadOnlyList<MergeDecision> Merges)
{
    public bool Changed => Splits.Count > 0 || Merges.Count > 0;
}

/// <summary>
/// Cuts and joins partitions before they are placed (docs/cost.md, "Splits, merges and ghosts"). Shares are of the
/// median node's capacity, per resource, at the forecast's peak step.
/// <list type="bullet">
/// <item>Merge: a child (a partition with a parent and no children of its own) on its parent's node, of the same tenant,
/// neither pinned nor in a replica group, whose peak together with its parent's stays below the merge share, is joined
/// back into the parent (loads and sizes added, its segments appended, its affinity edges moved to the parent).</item>
/// <item>Split: a partition with two or more segments whose peak exceeds the split share is cut at the load-weighted
/// point of its segments (where the running sum of the segments' load on the binding resource over the horizon is
/// nearest half its total), into itself and a child that carries it as parent, and cut again while a part exceeds the
/// share and has two segments. Each part's load is the partition's scaled by its segments' share at each step, so a
/// partition forecast as a whole keeps its forecast. Pinned partitions and replica-group members are not split (their
/// replicas would have to be split alike).</item>
/// </list>
/// The children are placed by the search like any partition, starting on their parent's node; the lineage term and
/// the parent's affinity edges, which children inherit, pull them together where nothing pulls them apart.
/// </summary>
public static class Restructure
{
    public static Restructuring Decide(PlanningInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var spec = input.Spec;
        var settings = spec.Restructure;
        if (!settings.AppliesTo(spec))
        {
            return new Restructuring(spec, [], []);
        }

        var capacity = CapacityAdvisor.MedianCapacity(spec);
        int resources = spec.Resources.Count;
        int steps = spec.Horizon.Steps;
        var parts = spec.Partitions.Select((p, i) => new Part(p, input.Load[i], input.SegmentLoad[i])).ToList();
        var affinity = spec.Affinity.ToList();
        var merges = Merge(parts, affinity, capacity, resources, settings.MergeShare);
        var splits = Split(parts, affinity, capacity, spec.Resources, steps, settings.SplitShare);
        if (splits.Count == 0 && merges.Count == 0)
        {
            return new Restructuring(spec, [], []);
        }

        // The search places loads as forecast: nothing is forecast again.
        var partitions = parts.Select(p => p.Spec with
        {
            Load = Rows(p.Load, steps, resources),
            History = null,
            Segments = p.Segments is null ? [] : [.. p.Spec.Segments.Select((s, k) => s with { Load = Rows(p.Segments[k], steps, resources), History = null })],
        }).ToList();
        return new Restructuring(spec with { Partitions = partitions, Affinity = affinity }, splits, merges);
    }

    private static List<MergeDecision> Merge(List<Part> parts, List<AffinitySpec> affinity, double[] capacity, int resources, double share)
    {
        var merges = new List<MergeDecision>();
        var byId = parts.ToDictionary(p => p.Spec.Id, StringComparer.Ordinal);
        var parents = parts.Select(p => p.Spec.Parent).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var child in parts.ToList())
        {
            var c = child.Spec;
            if (c.Parent is not { } parentId || parents.Contains(c.Id) || !byId.TryGetValue(parentId, out var parent))
            {
                continue;
            }

            var p = parent.Spec;
            if (c.Node != p.Node || c.Tenant != p.Tenant || c.Pinned || p.Pinned || c.Group is not null || p.Group is not null)
            {
                continue;
            }

            var joined = Add(parent.Load, child.Load);
            double peak = PeakShare(joined, capacity, resources).Share;
            if (peak >= share)
            {
                continue;
            }

            parent.Load = joined;
            parent.Segments = parent.Segments is not null && child.Segments is not null ? [.. parent.Segments, .. child.Segments] : null;
            parent.Spec = p with
            {
                SizeBytes = p.SizeBytes + c.SizeBytes,
                Segments = parent.Segments is null ? [] : [.. p.Segments, .. c.Segments],
            };
            parts.Remove(child);
            byId.Remove(c.Id);
            for (int i = affinity.Count - 1; i >= 0; i--)
            {
                var edge = affinity[i];
                var moved = edge with { A = edge.A == c.Id ? p.Id : edge.A, B = edge.B == c.Id ? p.Id : edge.B };
                if (moved.A == moved.B)
                {
                    affinity.RemoveAt(i);
                }
                else
                {
                    affinity[i] = moved;
                }
            }

            merges.Add(new MergeDecision([p.Id, c.Id], p.Id, peak, Text($"cold: together they peak at {peak:0.0%} of a node, below the merge share {share:0.0%}")));
        }

        return merges;
    }

    private static List<SplitDecision> Split(List<Part> parts, List<AffinitySpec> affinity, double[] capacity, IReadOnlyList<string> names, int steps, double share)
    {
        int resources = names.Count;
        var splits = new List<SplitDecision>();
        var ids = parts.Select(p => p.Spec.Id).ToHashSet(StringComparer.Ordinal);
        var queue = new Queue<Part>(parts.Where(p => p.Segments is { Length: >= 2 } && !p.Spec.Pinned && p.Spec.Group is null));
        while (queue.Count > 0)
        {
            var part = queue.Dequeue();
            var (peak, resource) = PeakShare(part.Load, capacity, resources);
            if (peak <= share || part.Segments is not { Length: >= 2 } segments)
            {
                continue;
            }

            int cut = LoadWeightedCut(segments, resource, resources, steps);
            var (keep, give) = Divide(part.Load, segments, cut);
            var p = part.Spec;
            string childId = NewId(p.Id, ids);
            double givenBytes = SegmentBytes(p, cut);
            var child = new Part(
                new PartitionSpec(childId, p.Node, givenBytes, p.Tenant, null, p.Id, false, p.Tags, null, null) { MoveCost = p.MoveCost, Segments = [.. p.Segments.Skip(cut)] },
                give, segments[cut..]);
            part.Spec = p with { SizeBytes = p.SizeBytes - givenBytes, Segments = [.. p.Segments.Take(cut)] };
            part.Load = keep;
            part.Segments = segments[..cut];
            parts.Add(child);
            affinity.AddRange(affinity.Where(e => e.A == p.Id || e.B == p.Id).ToList().Select(e => e with { A = e.A == p.Id ? childId : e.A, B = e.B == p.Id ? childId : e.B }));
            string name = names[resource];
            splits.Add(new SplitDecision(p.Id, childId, p.Segments[cut].Id, peak,
                Text($"hot: its forecast peaks at {peak:0.0%} of a node ({name}), above the split share {share:0.0%}; cut where half its load is reached")));
            queue.Enqueue(part);
            queue.Enqueue(child);
        }

        return splits;
    }

    /// <summary>The peak over steps and resources of load over the median node's capacity, and the resource it is on.</summary>
    internal static (double Share, int Resource) PeakShare(double[] load, double[] capacity, int resources)
    {
        double best = 0;
        int at = 0;
        for (int k = 0; k < load.Length; k++)
        {
            int r = k % resources;
            if (capacity[r] > 0 && load[k] / capacity[r] > best)
            {
                best = load[k] / capacity[r];
                at = r;
            }
        }

        return (best, at);
    }

    /// <summary>The segment index to cut before: where the running sum of the segments' load on the resource over the horizon is nearest half the total.</summary>
    internal static int LoadWeightedCut(double[][] segments, int resource, int resources, int steps)
    {
        var weight = segments.Select(s =>
        {
            double sum = 0;
            for (int h = 0; h < steps; h++)
            {
                sum += s[(h * resources) + resource];
            }

            return sum;
        }).ToArray();
        double total = weight.Sum();
        int best = 1;
        double bestGap = double.PositiveInfinity, running = 0;
        for (int cut = 1; cut < segments.Length; cut++)
        {
            running += weight[cut - 1];
            double gap = Math.Abs(running - (total / 2));
            if (gap < bestGap)
            {
                bestGap = gap;
                best = cut;
            }
        }

        return best;
    }

    /// <summary>The partition's load divided at each (step, resource) in the share its segments before and after the cut carry (equal per segment where they carry none).</summary>
    private static (double[] Keep, double[] Give) Divide(double[] load, double[][] segments, int cut)
    {
        var keep = new double[load.Length];
        var give = new double[load.Length];
        for (int k = 0; k < load.Length; k++)
        {
            double before = 0, after = 0;
            for (int s = 0; s < segments.Length; s++)
            {
                if (s < cut)
                {
                    before += segments[s][k];
                }
                else
                {
                    after += segments[s][k];
                }
            }

            double shareGiven = before + after > 0 ? after / (before + after) : (segments.Length - cut) / (double)segments.Length;
            give[k] = load[k] * shareGiven;
            keep[k] = load[k] - give[k];
        }

        return (keep, give);
    }

    /// <summary>The bytes of the segments from the cut on: the partition's size in their sizes' share where every segment gives one, else in their count's.</summary>
    private static double SegmentBytes(PartitionSpec p, int cut)
    {
        var segments = p.Segments;
        double total = segments.All(s => s.SizeBytes is not null) ? segments.Sum(s => s.SizeBytes!.Value) : 0;
        double share = total > 0 ? segments.Skip(cut).Sum(s => s.SizeBytes!.Value) / total : (segments.Count - cut) / (double)segments.Count;
        return p.SizeBytes * share;
    }

    private static string NewId(string parent, HashSet<string> ids)
    {
        for (int k = 1; ; k++)
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"{parent}.{k}");
            if (ids.Add(id))
            {
                return id;
            }
        }
    }

    private static double[] Add(double[] a, double[] b)
    {
        var sum = new double[a.Length];
        for (int k = 0; k < sum.Length; k++)
        {
            sum[k] = a[k] + b[k];
        }

        return sum;
    }

    private static double[][] Rows(double[] flat, int steps, int resources) =>
        [.. Enumerable.Range(0, steps).Select(h => flat.AsSpan(h * resources, resources).ToArray())];

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class Part(PartitionSpec spec, double[] load, double[][]? segments)
    {
        public PartitionSpec Spec { get; set; } = spec;

        public double[] Load { get; set; } = load;

        public double[][]? Segments { get; set; } = segments;
    }
}
