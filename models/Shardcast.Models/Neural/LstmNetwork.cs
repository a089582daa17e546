namespace Shardcast.Models.Neural;

/// <summary>
/// The forecasting network's parameters in one flat vector (so Adam, clipping, checksums and files see one
/// array): the stacked LSTM's (<see cref="LstmShape"/> layout), then the quantile head's W [HeadInput x
/// HeadOutput] and bias [HeadOutput]. Output (h, q) sits at column h * Q + q.
/// </summary>
public sealed class LstmNetwork
{
    public LstmNetwork(LstmHyperParameters hyper, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        ArgumentNullException.ThrowIfNull(parameters);
        hyper.Validate();
        Hyper = hyper;
        Shape = hyper.Shape;
        if (parameters.Length != ParameterCountFor(hyper))
        {
            throw new ArgumentException($"Expected {ParameterCountFor(hyper)} parameters for this shape, got {parameters.Length}.", nameof(parameters));
        }

        Parameters = parameters;
    }

    public LstmHyperParameters Hyper { get; }

    public LstmShape Shape { get; }

    public float[] Parameters { get; }

    public int HeadWeightOffset => Shape.ParameterCount;

    public int HeadBiasOffset => HeadWeightOffset + (Hyper.HeadInput * Hyper.HeadOutput);

    public static int ParameterCountFor(LstmHyperParameters hyper)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        return hyper.Shape.ParameterCount + (hyper.HeadInput * hyper.HeadOutput) + hyper.HeadOutput;
    }

    /// <summary>
    /// PyTorch's initialisation (uniform in +-1/sqrt(hidden)) with the forget gates' bias at 1 so early training
    /// remembers; the head starts at the seasonal anchors' scale with its quantile biases spread by level.
    /// </summary>
    public static LstmNetwork Initialise(LstmHyperParameters hyper)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        hyper.Validate();
        var shape = hyper.Shape;
        var parameters = new float[ParameterCountFor(hyper)];
        var random = new SplitMix64(hyper.Seed);
        float bound = 1 / MathF.Sqrt(hyper.Hidden);
        for (int i = 0; i < shape.ParameterCount; i++)
        {
            parameters[i] = (float)((random.NextDouble() * 2) - 1) * bound;
        }

        for (int layer = 0; layer < shape.Layers; layer++)
        {
            parameters.AsSpan(shape.BiasOffset(layer) + hyper.Hidden, hyper.Hidden).Fill(1);
        }

        var network = new LstmNetwork(hyper, parameters);
        float headBound = 1 / MathF.Sqrt(hyper.HeadInput);
        for (int i = network.HeadWeightOffset; i < network.HeadBiasOffset; i++)
        {
            parameters[i] = (float)((random.NextDouble() * 2) - 1) * headBound * 0.1f;
        }

        for (int h = 0; h < hyper.Horizon; h++)
        {
            for (int q = 0; q < hyper.Quantiles.Count; q++)
            {
                parameters[network.HeadBiasOffset + (h * hyper.Quantiles.Count) + q] = (float)(Optimisation.Normal.Quantile(hyper.Quantiles[q]) * Math.Sqrt(h + 1));
            }
        }

        return network;
    }
}

/// <summary>Counter-free SplitMix64: a fixed seed gives the same stream on every platform and runtime.</summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    public readonly ulong State => _state;

    public int NextInt(int exclusiveMax) => (int)((Next() >> 33) % (ulong)exclusiveMax);
}
