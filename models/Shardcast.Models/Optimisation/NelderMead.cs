namespace Shardcast.Models.Optimisation;

/// <summary>
/// Derivative-free minimisation by the Nelder-Mead simplex (reflection, expansion, contraction, shrink; the
/// standard coefficients 1, 2, 0.5, 0.5). Used where the objective is a recursion whose gradient is awkward:
/// an ETS likelihood over a handful of smoothing parameters and initial states.
/// </summary>
public static class NelderMead
{
    public sealed record Result(double[] Point, double Value, int Evaluations, bool Converged);

    /// <param name="objective">Returns +infinity (or NaN) where the point is outside the model's admissible region.</param>
    /// <param name="start">The starting point; the simplex spans <paramref name="step"/> along each axis from it.</param>
    public static Result Minimise(Func<double[], double> objective, double[] start, double step, int maxEvaluations, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(start);
        int n = start.Length;
        int evaluations = 0;
        double Evaluate(double[] x)
        {
            evaluations++;
            double v = objective(x);
            return double.IsNaN(v) ? double.PositiveInfinity : v;
        }

        var points = new double[n + 1][];
        var values = new double[n + 1];
        for (int i = 0; i <= n; i++)
        {
            points[i] = (double[])start.Clone();
            if (i > 0)
            {
                points[i][i - 1] += step;
            }

            values[i] = Evaluate(points[i]);
        }

        var centroid = new double[n];
        var reflected = new double[n];
        var trial = new double[n];
        var order = new int[n + 1];
        bool converged = false;
        while (evaluations < maxEvaluations)
        {
            for (int i = 0; i <= n; i++)
            {
                order[i] = i;
            }

            Array.Sort(values.ToArray(), order);
            int best = order[0];
            int worst = order[n];
            int secondWorst = order[n - 1];
            if (double.IsFinite(values[worst]) && Math.Abs(values[worst] - values[best]) <= tolerance * (Math.Abs(values[best]) + tolerance))
            {
                converged = true;
                break;
            }

            Array.Clear(centroid);
            for (int i = 0; i <= n; i++)
            {
                if (i != worst)
                {
                    for (int d = 0; d < n; d++)
                    {
                        centroid[d] += points[i][d] / n;
                    }
                }
            }

            Along(centroid, points[worst], -1, reflected);
            double fr = Evaluate(reflected);
            if (fr < values[best])
            {
                Along(centroid, points[worst], -2, trial);
                double fe = Evaluate(trial);
                Replace(worst, fe < fr ? trial : reflected, Math.Min(fe, fr));
            }
            else if (fr < values[secondWorst])
            {
                Replace(worst, reflected, fr);
            }
            else
            {
                // Contract toward the better of the worst point and its reflection.
                bool outside = fr < values[worst];
                Along(centroid, outside ? reflected : points[worst], 0.5, trial);
                double fc = Evaluate(trial);
                if (fc < Math.Min(fr, values[worst]))
                {
                    Replace(worst, trial, fc);
                }
                else
                {
                    for (int i = 0; i <= n; i++)
                    {
                        if (i != best)
                        {
                            Along(points[best], points[i], 0.5, points[i]);
                            values[i] = Evaluate(points[i]);
                        }
                    }
                }
            }
        }

        int argBest = Array.IndexOf(values, values.Min());
        return new Result(points[argBest], values[argBest], evaluations, converged);

        void Replace(int index, double[] point, double value)
        {
            Array.Copy(point, points[index], n);
            values[index] = value;
        }
    }

    /// <summary>result = from + t * (to - from).</summary>
    private static void Along(double[] from, double[] to, double t, double[] result)
    {
        for (int d = 0; d < from.Length; d++)
        {
            result[d] = from[d] + (t * (to[d] - from[d]));
        }
    }
}
