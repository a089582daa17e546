using Shardcast.Models.Forecasting;
using Shardcast.Models.Optimisation;
using Shardcast.Models.Series;

namespace Shardcast.Models.Classical;

public enum EtsTrend
{
    None,
    Additive,
    Damped,
}

public enum EtsSeason
{
    None,
    Additive,
    Multiplicative,
}

/// <summary>One member of the (additive-error) ETS family: a trend and a seasonality.</summary>
public readonly record struct EtsSpec(EtsTrend Trend, EtsSeason Season)
{
    public override string ToString() =>
        $"ETS(A,{Trend switch { EtsTrend.None => "N", EtsTrend.Additive => "A", _ => "Ad" }},{Season switch { EtsSeason.None => "N", EtsSeason.Additive => "A", _ => "M" }})";
}

/// <summary>A fitted ETS model: its spec, smoothing parameters, initial states and error variance, with AICc.</summary>
public sealed record EtsFit(EtsSpec Spec, int Period, double Alpha, double Beta, double Gamma, double Phi, double Level0, double Trend0, double[] Season0, double Variance, double Aicc, int Evaluations);

/// <summary>
/// Holt-Winters as innovations state-space models (Hyndman et al., "Forecasting with Exponential Smoothing", the
/// additive-error class): level, optional additive or damped trend, optional additive or multiplicative season.
/// Parameters are fitted by Gaussian likelihood with Nelder-Mead on transformed (always admissible) parameters;
/// initial seasonal states come from a classical decomposition of the first seasons, the level and trend starts
/// are fitted with the smoothing parameters; the model is chosen by AICc.
/// </summary>
public static class Ets
{
    /// <summary>The candidates a series admits: seasonal ones only with two full seasons, multiplicative only on positive data.</summary>
    public static IReadOnlyList<EtsSpec> Candidates(ReadOnlySpan<double> values, int period)
    {
        var trends = new[] { EtsTrend.None, EtsTrend.Additive, EtsTrend.Damped };
        var seasons = new List<EtsSeason> { EtsSeason.None };
        if (period > 1 && values.Length >= 2 * period)
        {
            seasons.Add(EtsSeason.Additive);
            bool positive = true;
            foreach (double v in values)
            {
                positive &= v > 0;
            }

            if (positive)
            {
                seasons.Add(EtsSeason.Multiplicative);
            }
        }

        return [.. seasons.SelectMany(s => trends.Select(t => new EtsSpec(t, s)))];
    }

    /// <summary>Fits every candidate and returns the one of least AICc.</summary>
    public static EtsFit FitBest(ReadOnlySpan<double> values, int period)
    {
        EtsFit? best = null;
        foreach (var spec in Candidates(values, period))
        {
            var fit = Fit(values, period, spec);
            if (best is null || fit.Aicc < best.Aicc)
            {
                best = fit;
            }
        }

        return best!;
    }

    /// <summary>The fewest points a fit takes: a level, a trend and one error to judge them by.</summary>
    public const int MinimumObservations = 3;

    public static EtsFit Fit(ReadOnlySpan<double> values, int period, EtsSpec spec)
    {
        if (values.Length < MinimumObservations)
        {
            throw new ArgumentException($"ETS needs at least {MinimumObservations} observations.", nameof(values));
        }

        int m = spec.Season == EtsSeason.None ? 1 : period;
        var y = values.ToArray();
        var (level0, trend0, season0) = InitialStates(y, m, spec);
        double spread = Math.Max(TimeSeries.MeanAbsoluteDifference(y), 1e-9 * (1 + Math.Abs(level0)));
        bool trended = spec.Trend != EtsTrend.None;
        bool seasonal = spec.Season != EtsSeason.None;
        bool damped = spec.Trend == EtsTrend.Damped;

        // Unconstrained coordinates: [alpha, beta?, gamma?, phi?, level offset, trend offset?].
        var start = new List<double> { Logit(0.3) };
        if (trended)
        {
            start.Add(Logit(0.1));
        }

        if (seasonal)
        {
            start.Add(Logit(0.1));
        }

        if (damped)
        {
            start.Add(Logit(0.5));
        }

        start.Add(0);
        if (trended)
        {
            start.Add(0);
        }

        Parameters Decode(double[] u)
        {
            int i = 0;
            double alpha = Sigmoid(u[i++]);
            double beta = trended ? alpha * Sigmoid(u[i++]) : 0;
            double gamma = seasonal ? (1 - alpha) * Sigmoid(u[i++]) : 0;
            double phi = damped ? 0.8 + (0.18 * Sigmoid(u[i++])) : 1;
            double l0 = level0 + (spread * u[i++]);
            double b0 = trended ? trend0 + (spread * 0.1 * u[i++]) : 0;
            return new Parameters(alpha, beta, gamma, phi, l0, b0);
        }

        var result = NelderMead.Minimise(
            u => SumOfSquares(y, m, spec, Decode(u), season0), [.. start], 0.5, 100 + (60 * start.Count), 1e-5);
        var p = Decode(result.Point);
        double sse = result.Value;
        int n = y.Length;
        int k = start.Count + 1 + (seasonal ? m - 1 : 0);
        double variance = sse / n;
        double logLikelihood = -0.5 * n * (Math.Log(2 * Math.PI * Math.Max(variance, 1e-300)) + 1);
        double aicc = n - k - 1 > 0 && double.IsFinite(sse) ? (-2 * logLikelihood) + (2 * k) + (2.0 * k * (k + 1) / (n - k - 1)) : double.PositiveInfinity;
        return new EtsFit(spec, m, p.Alpha, p.Beta, p.Gamma, p.Phi, p.Level0, p.Trend0, season0, variance, aicc, result.Evaluations);
    }

    internal readonly record struct Parameters(double Alpha, double Beta, double Gamma, double Phi, double Level0, double Trend0);

    /// <summary>The one-step errors' sum of squares from the given start; +infinity where the recursion leaves its domain.</summary>
    private static double SumOfSquares(double[] y, int m, EtsSpec spec, Parameters p, double[] season0)
    {
        var state = new EtsState(spec, m, p.Alpha, p.Beta, p.Gamma, p.Phi, p.Level0, p.Trend0, season0);
        double sse = 0;
        foreach (double v in y)
        {
            double e = state.Update(v);
            sse += e * e;
            if (!double.IsFinite(sse))
            {
                return double.PositiveInfinity;
            }
        }

        return sse;
    }

    /// <summary>Level and trend from the first seasons' means, seasonal indices from the first (up to three) seasons around them.</summary>
    private static (double Level, double Trend, double[] Season) InitialStates(double[] y, int m, EtsSpec spec)
    {
        if (spec.Season == EtsSeason.None)
        {
            int w = Math.Clamp(y.Length / 4, 1, 10);
            double first = y.AsSpan(0, w).ToArray().Average();
            double second = y.Length >= 2 * w ? y.AsSpan(w, w).ToArray().Average() : first;
            return (first, spec.Trend == EtsTrend.None ? 0 : (second - first) / w, []);
        }

        int seasons = Math.Min(3, y.Length / m);
        var means = new double[seasons];
        for (int i = 0; i < seasons; i++)
        {
            means[i] = y.AsSpan(i * m, m).ToArray().Average();
        }

        var index = new double[m];
        for (int j = 0; j < m; j++)
        {
            double sum = 0;
            for (int i = 0; i < seasons; i++)
            {
                sum += spec.Season == EtsSeason.Additive ? y[(i * m) + j] - means[i] : y[(i * m) + j] / means[i];
            }

            index[j] = sum / seasons;
        }

        // Normalise: additive indices sum to zero, multiplicative ones average one.
        double mean = index.Average();
        for (int j = 0; j < m; j++)
        {
            index[j] = spec.Season == EtsSeason.Additive ? index[j] - mean : index[j] / mean;
        }

        double trend = spec.Trend == EtsTrend.None || seasons < 2 ? 0 : (means[seasons - 1] - means[0]) / ((seasons - 1) * m);
        return (means[0] - (trend * (m - 1) / 2.0), trend, index);
    }

    private static double Sigmoid(double u) => 1 / (1 + Math.Exp(-u));

    private static double Logit(double p) => Math.Log(p / (1 - p));
}

/// <summary>
/// An ETS model's states, advanced one observation at a time with fixed parameters: the same recursion fits the
/// model and conditions it on newer points.
/// </summary>
public sealed class EtsState
{
    private readonly EtsSpec _spec;
    private readonly int _period;
    private readonly double _alpha;
    private readonly double _beta;
    private readonly double _gamma;
    private readonly double _phi;
    private readonly double[] _season;
    private double _level;
    private double _trend;
    private long _time;
    private int _slot;

    public EtsState(EtsSpec spec, int period, double alpha, double beta, double gamma, double phi, double level, double trend, double[] season)
    {
        ArgumentNullException.ThrowIfNull(season);
        _spec = spec;
        _period = period;
        _alpha = alpha;
        _beta = beta;
        _gamma = gamma;
        _phi = phi;
        _level = level;
        _trend = trend;
        _season = spec.Season == EtsSeason.None ? [] : (double[])season.Clone();
    }

    public EtsState(EtsFit fit)
        : this(fit?.Spec ?? default, fit!.Period, fit.Alpha, fit.Beta, fit.Gamma, fit.Phi, fit.Level0, fit.Trend0, fit.Season0)
    {
    }

    /// <summary>Takes one observation; returns its one-step error.</summary>
    public double Update(double y)
    {
        double damped = _spec.Trend == EtsTrend.None ? 0 : _phi * _trend;
        double baseLevel = _level + damped;
        // The season's slot advances with time; kept as a counter because a division per step dominated the fit.
        int slot = _slot;
        double e;
        switch (_spec.Season)
        {
            case EtsSeason.None:
                e = y - baseLevel;
                _level = baseLevel + (_alpha * e);
                _trend = damped + (_beta * e);
                break;
            case EtsSeason.Additive:
                e = y - (baseLevel + _season[slot]);
                _level = baseLevel + (_alpha * e);
                _trend = damped + (_beta * e);
                _season[slot] += _gamma * e;
                break;
            default:
                double s = _season[slot];
                e = y - (baseLevel * s);
                if (s <= 1e-12 || baseLevel <= 1e-12)
                {
                    return double.PositiveInfinity;
                }

                _level = baseLevel + (_alpha * e / s);
                _trend = damped + (_beta * e / s);
                _season[slot] = s + (_gamma * e / baseLevel);
                break;
        }

        if (_spec.Trend == EtsTrend.None)
        {
            _trend = 0;
        }

        _time++;
        _slot = _slot + 1 == _period ? 0 : _slot + 1;
        return e;
    }

    /// <summary>The point forecast h steps ahead (h from 1).</summary>
    public double Point(int h)
    {
        double phiH = 0;
        double power = 1;
        for (int j = 1; j <= h; j++)
        {
            power *= _phi;
            phiH += _spec.Trend == EtsTrend.Damped ? power : 1;
        }

        double trendPart = _spec.Trend == EtsTrend.None ? 0 : phiH * _trend;
        if (_spec.Season == EtsSeason.None)
        {
            return _level + trendPart;
        }

        double s = _season[(_slot + h - 1) % _period];
        return _spec.Season == EtsSeason.Additive ? _level + trendPart + s : (_level + trendPart) * s;
    }

    /// <summary>
    /// The h-step forecast variance of the additive class: sigma^2 (1 + sum_{j&lt;h} c_j^2), c_j = alpha (1 + beta phi_j / alpha... ) + gamma [j mod m = 0].
    /// For a multiplicative season the same coefficients are used, scaled by the season's factor (an approximation).
    /// </summary>
    public double Variance(int h, double variance)
    {
        double sum = 1;
        double phiJ = 0;
        double power = 1;
        for (int j = 1; j < h; j++)
        {
            power *= _phi;
            phiJ += _spec.Trend == EtsTrend.Damped ? power : 1;
            double c = _alpha + (_spec.Trend == EtsTrend.None ? 0 : _beta * phiJ) + (_spec.Season != EtsSeason.None && j % _period == 0 ? _gamma : 0);
            sum += c * c;
        }

        double scale = 1;
        if (_spec.Season == EtsSeason.Multiplicative)
        {
            scale = _season[(_slot + h - 1) % _period];
        }

        return variance * sum * scale * scale;
    }
}

/// <summary>ETS as a model: each series fitted by AICc on the history it is opened on, then conditioned with those parameters.</summary>
public sealed class EtsModel : IForecastModel
{
    public string Name => ModelNames.Ets;

    public void Fit(IReadOnlyList<TimeSeries> trainingParts, IProgress<string>? progress, CancellationToken cancellation)
    {
    }

    public ISeriesForecaster Open(TimeSeries history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var fit = Ets.FitBest(history.Values, SeasonalNaive.SeasonOf(history));
        var state = new EtsState(fit);
        var residuals = new double[history.Length];
        for (int i = 0; i < history.Length; i++)
        {
            residuals[i] = state.Update(history.Values[i]);
        }

        Array.Sort(residuals);
        return new Forecaster(fit, state, residuals);
    }

    /// <summary>
    /// Intervals take their shape from the fitted one-step residuals (their empirical quantiles) and their growth
    /// with h from the model's variance multiplier: load series are heavy-tailed, and a Gaussian sigma inflated by
    /// a few spikes gives intervals wide enough to be useless everywhere else.
    /// </summary>
    private sealed class Forecaster(EtsFit fit, EtsState state, double[] sortedResiduals) : ISeriesForecaster
    {
        public void Observe(double timestamp, double value) => state.Update(value);

        public double[][] Forecast(int horizon, ReadOnlySpan<double> quantiles)
        {
            ForecastArguments.Validate(horizon, quantiles);
            var result = new double[quantiles.Length][];
            for (int q = 0; q < quantiles.Length; q++)
            {
                // Centred on the median residual: the point forecast stays the median, the likelihood's estimate.
                double residual = SeasonalNaive.EmpiricalQuantile(sortedResiduals, quantiles[q]) - SeasonalNaive.EmpiricalQuantile(sortedResiduals, 0.5);
                result[q] = new double[horizon];
                for (int h = 1; h <= horizon; h++)
                {
                    double growth = fit.Variance > 0 ? Math.Sqrt(state.Variance(h, fit.Variance) / fit.Variance) : 1;
                    result[q][h - 1] = state.Point(h) + (residual * growth);
                }
            }

            return result;
        }
    }
}
