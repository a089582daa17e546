using Shardcast.Engine.Observation;

namespace Shardcast.Engine.Tests.Observation;

public class SeriesStoreTests
{
    [Fact]
    public void Samples_append_to_their_series_and_move_its_end_by_their_steps()
    {
        var store = new SeriesStore(100);
        Assert.Equal(3, store.Append("p0", 60, 1_000, [1, 2, 3]));
        Assert.Equal(5, store.Append("p0", 60, null, [4, 5]));
        var (step, end, values, start) = store.Get("p0")!.Value;
        Assert.Equal(0, start);
        Assert.Equal((60.0, 1_120.0), (step, end));
        Assert.Equal([1.0, 2, 3, 4, 5], values);
        Assert.Null(store.Get("p1"));
    }

    [Fact]
    public void Samples_past_the_limit_or_at_another_step_are_refused_and_nothing_of_them_is_kept()
    {
        var store = new SeriesStore(4);
        store.Append("p0", 60, null, [1, 2, 3]);
        var full = Assert.Throws<SeriesStoreException>(() => store.Append("p1", 60, null, [1, 2]));
        Assert.Equal(SeriesStoreRefusal.LimitReached, full.Refusal);
        var step = Assert.Throws<SeriesStoreException>(() => store.Append("p0", 30, null, [4]));
        Assert.Equal(SeriesStoreRefusal.StepMismatch, step.Refusal);
        Assert.Contains("60 s steps, found 30", step.Message, StringComparison.Ordinal);
        Assert.Equal((3L, 1), (store.Points, store.Count));
    }

    [Fact]
    public void A_series_keeps_its_newest_points_and_is_never_refused_for_its_length()
    {
        var store = new SeriesStore(maxPoints: 10, maxSeriesPoints: 4);
        Assert.Equal(3, store.Append("p0", 60, 180, [1, 2, 3]));
        Assert.Equal(6, store.Append("p0", 60, null, [4, 5, 6]));
        var kept = store.Get("p0")!.Value;
        Assert.Equal([3.0, 4, 5, 6], kept.Values);
        Assert.Equal((2L, 360.0), (kept.Start, kept.End));
        Assert.Equal(4, store.Points);

        // Fed far past the store's total: only what a series keeps counts against it.
        for (int i = 0; i < 100; i++)
        {
            store.Append("p0", 60, null, [i]);
        }

        Assert.Equal(206, store.Append("p0", 60, null, [.. Enumerable.Range(0, 100).Select(i => (double)i)]));
        Assert.Equal([96.0, 97, 98, 99], store.Get("p0")!.Value.Values);
        Assert.Equal(202, store.Get("p0")!.Value.Start);
        store.Append("p1", 60, null, [1, 2, 3, 4, 5, 6, 7]);
        Assert.Equal(8, store.Points);
        var full = Assert.Throws<SeriesStoreException>(() => store.Append("p2", 60, null, [1, 2, 3]));
        Assert.Equal(SeriesStoreRefusal.LimitReached, full.Refusal);
        Assert.Equal((8L, 2), (store.Points, store.Count));
    }
}
