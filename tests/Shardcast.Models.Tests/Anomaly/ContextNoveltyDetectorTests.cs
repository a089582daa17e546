using Shardcast.Models.Anomaly;
using Shardcast.Models.Optimisation;

namespace Shardcast.Models.Tests.Anomaly;

public class ContextNoveltyDetectorTests
{
    private const int Day = 288; // five-minute steps

    /// <summary>A service's daily load: a smooth cycle with measurement noise.</summary>
    private static double[] DailyLoad(int days, int seed, double noise = 2)
    {
        var random = new Random(seed);
        var x = new double[days * Day];
        for (int t = 0; t < x.Length; t++)
        {
            x[t] = 100 + (50 * Math.Sin(2 * Math.PI * t / Day)) + (noise * ((random.NextDouble() * 2) - 1));
        }

        return x;
    }

    private static AnomalyVerdict[] Run(double[] x, DetectorOptions? options = null)
    {
        var detector = new ContextNoveltyDetector(options);
        return [.. x.Select(detector.Observe)];
    }

    private static int[] Alarms(AnomalyVerdict[] verdicts) => [.. verdicts.Select((v, i) => (v, i)).Where(p => p.v.Alarm).Select(p => p.i)];

    [Fact]
    public void A_spike_in_a_daily_cycle_raises_one_alarm_at_once_and_the_cycle_itself_none()
    {
        var x = DailyLoad(10, seed: 1);
        int spike = (8 * Day) + 100;
        x[spike] += 120;
        x[spike + 1] += 90;
        var alarms = Alarms(Run(x));

        Assert.Contains(alarms, a => a >= spike && a <= spike + 2);
        Assert.DoesNotContain(alarms, a => a >= 2 * Day && a < spike);
        Assert.Single(alarms, a => a >= spike);
    }

    [Fact]
    public void A_level_never_seen_before_raises_an_alarm_where_it_starts()
    {
        var x = DailyLoad(8, seed: 2);
        int shift = 6 * Day;
        for (int t = shift; t < x.Length; t++)
        {
            x[t] += 200;
        }

        var verdicts = Run(x);
        var alarm = Assert.Single(Alarms(verdicts), a => a >= shift);
        Assert.InRange(alarm, shift, shift + 3);
        Assert.Equal(AnomalySeverity.Major, verdicts[alarm].Severity);
    }

    [Fact]
    public void A_burst_in_a_noisy_series_stands_out_by_how_far_it_goes_past_what_was_seen()
    {
        // Counts of requests per step: noise as large as the signal's own variation, then a burst of seven times the level.
        var random = new Random(7);
        var x = new double[300];
        for (int t = 0; t < x.Length; t++)
        {
            x[t] = 40 + random.Next(-12, 13);
        }

        x[250] = x[251] = x[252] = 280;
        var alarms = Alarms(Run(x));
        Assert.Contains(alarms, a => a is >= 250 and <= 251);
    }

    [Fact]
    public void A_series_that_held_one_value_alarms_when_it_leaves_it()
    {
        var x = Enumerable.Repeat(5.0, 200).Concat(Enumerable.Repeat(9.0, 20)).ToArray();
        var verdicts = Run(x);
        Assert.Equal([200], Alarms(verdicts));
        Assert.Equal(AnomalySeverity.Major, verdicts[200].Severity);
    }

    [Fact]
    public void An_alarm_holds_off_the_next_for_its_hold_off_and_no_longer()
    {
        var options = new DetectorOptions { HoldOff = 100 };
        var x = DailyLoad(10, seed: 3);
        int first = 7 * Day;
        x[first] += 150;
        x[first + 60] -= 150;   // within the hold-off: the same event as far as alarms go
        x[first + 400] += 400;  // well after it, and unlike either: a new one
        var verdicts = Run(x, options);
        var alarms = Alarms(verdicts).Where(a => a >= first).ToArray();

        Assert.Equal(2, alarms.Length);
        Assert.InRange(alarms[0], first, first + 2);
        Assert.InRange(alarms[1], first + 400, first + 402);
        Assert.All(verdicts[(first + 1)..(first + 101)], v => Assert.True(v.Score <= options.HoldOffCap));
    }

    [Fact]
    public void A_score_uses_only_the_observations_up_to_it()
    {
        var a = DailyLoad(4, seed: 4);
        var b = (double[])a.Clone();
        int cut = (2 * Day) + 37;
        var random = new Random(5);
        for (int t = cut; t < b.Length; t++)
        {
            b[t] = random.NextDouble() * 1000;
        }

        var before = Run(a);
        var after = Run(b);
        for (int t = 0; t < cut; t++)
        {
            Assert.Equal(before[t], after[t]);
        }

        Assert.NotEqual(before[cut].Z, after[cut].Z);
    }

    [Fact]
    public void A_constant_series_is_never_anomalous()
    {
        var verdicts = Run([.. Enumerable.Repeat(42.0, 2000)]);
        Assert.All(verdicts, v => Assert.False(v.Alarm));
        Assert.Empty(Alarms(verdicts));
    }

    [Theory]
    [InlineData(8, 2, 1000, 20_000)]
    [InlineData(3, 4, 50, 120)]   // a short memory: the ring forgets the oldest contexts
    [InlineData(1, 1, 10, 2)]
    public void The_streaming_detector_agrees_with_the_obvious_computation(int context, int shortWindow, int longWindow, int history)
    {
        var options = new DetectorOptions { ContextLength = context, ShortWindow = shortWindow, LongWindow = longWindow, MaxHistory = history, HoldOff = 30 };
        var random = new Random(6);
        var x = new double[1500];
        for (int t = 1; t < x.Length; t++)
        {
            x[t] = x[t - 1] + ((random.NextDouble() - 0.5) * 4) + (t % 300 == 0 ? 40 : 0);
        }

        var verdicts = Run(x, options);
        var reference = Reference(x, options);
        for (int t = 0; t < x.Length; t++)
        {
            Assert.Equal(reference[t].Z, verdicts[t].Z, tolerance: 1e-6 * Math.Max(1, Math.Abs(reference[t].Z)));
            Assert.Equal(reference[t].Score, verdicts[t].Score, tolerance: 1e-9);
            Assert.Equal(reference[t].Alarm, verdicts[t].Alarm);
        }
    }

    [Fact]
    public void Values_that_are_not_numbers_and_settings_that_cannot_work_are_refused_by_name()
    {
        var detector = new ContextNoveltyDetector();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => detector.Observe(double.NaN));
        Assert.Contains("observation 1 is not a finite number", e.Message, StringComparison.Ordinal);
        Assert.Contains("context length", Assert.Throws<ArgumentException>(() => new ContextNoveltyDetector(new DetectorOptions { ContextLength = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("long window", Assert.Throws<ArgumentException>(() => new ContextNoveltyDetector(new DetectorOptions { ShortWindow = 10, LongWindow = 10 })).Message, StringComparison.Ordinal);
        Assert.Contains("major level", Assert.Throws<ArgumentException>(() => new ContextNoveltyDetector(new DetectorOptions { MajorZ = 2 })).Message, StringComparison.Ordinal);
    }

    /// <summary>The detector written as plainly as possible: every array whole, every sum recomputed.</summary>
    private static AnomalyVerdict[] Reference(double[] x, DetectorOptions o)
    {
        int n = x.Length, m = o.ContextLength;
        var novelty = new double[n];
        for (int t = 1; t < n; t++)
        {
            double range = x[..t].Max() - x[..t].Min();
            int oldestStart = Math.Max(0, t + 1 - (o.MaxHistory + m));
            if (range <= 0)
            {
                novelty[t] = x[t] == x[0] ? 0 : o.NoveltyCap;
                continue;
            }

            if (t - m - 1 < oldestStart)
            {
                continue;
            }

            double best = double.PositiveInfinity;
            for (int start = oldestStart; start <= t - m - 1; start++)
            {
                double d = 0;
                for (int k = 0; k < m; k++)
                {
                    d = Math.Max(d, Math.Abs(x[start + k] - x[t - m + 1 + k]));
                }

                best = Math.Min(best, d);
            }

            novelty[t] = Math.Min(best / range, o.NoveltyCap);
        }

        var verdicts = new AnomalyVerdict[n];
        int holdOff = 0;
        int first = m + 1; // the first observation with an earlier context to compare against
        for (int t = first + o.WarmUp; t < n; t++)
        {
            double recent = novelty[(t - o.ShortWindow + 1)..(t + 1)].Average();
            int end = t - o.ShortWindow + 1; // the long window ends where the short one begins
            var window = novelty[Math.Max(first, end - o.LongWindow)..end];
            double mean = window.Average();
            double sd = Math.Sqrt(Math.Max(window.Select(v => v * v).Average() - (mean * mean), 0));
            double z = (recent - mean) / (sd + 1e-9);
            double score = Normal.Cdf(z);
            if (holdOff > 0)
            {
                holdOff--;
                verdicts[t] = new AnomalyVerdict(Math.Min(score, o.HoldOffCap), z, false, AnomalySeverity.None);
            }
            else if (z >= o.AlarmZ)
            {
                holdOff = o.HoldOff;
                verdicts[t] = new AnomalyVerdict(score, z, true, z >= o.MajorZ ? AnomalySeverity.Major : AnomalySeverity.Minor);
            }
            else
            {
                verdicts[t] = new AnomalyVerdict(score, z, false, AnomalySeverity.None);
            }
        }

        return verdicts;
    }
}
