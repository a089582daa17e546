using Shardcast.Engine.Generation;
using Shardcast.Engine.Planning;
using Shardcast.Kernels;
using Shardcast.Kernels.Device;

namespace Shardcast.Engine.Tests.Backends;

/// <summary>How device memory is divided: member slots, bytes per chain, and the chains a device holds.</summary>
public class DeviceSizingTests
{
    private static Shardcast.Kernels.Problem.FlatProblem Problem(int partitions, int nodes) =>
        ProblemBuilder.Build(PlanningInput.From(ClusterGenerator.Generate(new GeneratorOptions(partitions, nodes, 12, 4, 3))));

    [Fact]
    public void Small_problems_give_every_node_room_for_every_partition()
    {
        var problem = Problem(2_000, 40);
        var image = new DeviceProblemImage(problem, new SearchOptions(), DeviceProblemImage.LargestNodeCount(problem.Nodes, problem.Initial));
        Assert.Equal(problem.Partitions, image.Slots);
    }

    [Fact]
    public void Large_problems_bound_the_slots_by_the_start_and_the_mean_and_the_chain_count_by_memory()
    {
        var problem = Problem(20_000, 250);
        int largest = DeviceProblemImage.LargestNodeCount(problem.Nodes, problem.Initial);
        var image = new DeviceProblemImage(problem, new SearchOptions(), largest);
        int mean = 20_000 / 250;
        Assert.Equal(Math.Max((4 * mean) + 64, largest + (2 * mean)), image.Slots);

        long perChain = image.BytesPerChain;
        Assert.True(perChain >= ((4L * problem.Partitions) + ((long)problem.Nodes * image.Slots)) * 4, "assignment, positions, moved lists and member slots at least");

        // 1 GB at 70 %, minus the problem, in whole chains; a small largest allocation caps it instead.
        long memory = 1L << 30;
        int byMemory = DeviceChainBudget.Chains(image, memory, memory, 0.7, int.MaxValue);
        Assert.Equal((int)(((long)(memory * 0.7) - image.ProblemBytes) / perChain), byMemory);
        long largestBuffer = Math.Max((long)problem.Partitions * 4, Math.Max((long)problem.Nodes * problem.Stride * 4, (long)problem.Nodes * image.Slots * 4));
        Assert.Equal(3, DeviceChainBudget.Chains(image, memory, (3 * largestBuffer) + 1, 0.7, int.MaxValue));
        Assert.Equal(5, DeviceChainBudget.Chains(image, memory, memory, 0.7, 5));
        Assert.Equal(1, DeviceChainBudget.Chains(image, 1 << 20, 1 << 20, 0.7, 100));
    }
}
