namespace Shardcast.Models.Neural;

/// <summary>
/// The direct multi-horizon quantile head: a linear map from [top LSTM state, seasonal anchors] to every (step,
/// quantile) output at once, with the pinball loss and its gradient. One instance is one thread's workspace.
/// </summary>
public sealed class QuantileHead
{
    private readonly LstmHyperParameters _hyper;
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private readonly float[] _outputGradients;
    private readonly float[] _inputGradients;
    private readonly float[] _transposedWeights;
    private readonly float[] _scratch;
    private readonly float[] _levels;

    public QuantileHead(LstmHyperParameters hyper, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(hyper);
        _hyper = hyper;
        _inputs = new float[maxRows * hyper.HeadInput];
        _outputs = new float[maxRows * hyper.HeadOutput];
        _outputGradients = new float[maxRows * hyper.HeadOutput];
        _inputGradients = new float[maxRows * hyper.HeadInput];
        _transposedWeights = new float[hyper.HeadOutput * hyper.HeadInput];
        _scratch = new float[hyper.HeadInput * maxRows];
        _levels = [.. hyper.Quantiles.Select(q => (float)q)];
    }

    /// <summary>Row r's input, [HeadInput]: the caller writes the state, then the anchors.</summary>
    public Span<float> Input(int row) => _inputs.AsSpan(row * _hyper.HeadInput, _hyper.HeadInput);

    /// <summary>Row r's outputs after <see cref="Forward"/>: [Horizon x Quantiles], normalised units.</summary>
    public ReadOnlySpan<float> Output(int row) => _outputs.AsSpan(row * _hyper.HeadOutput, _hyper.HeadOutput);

    /// <summary>The loss gradient with respect to row r's state part of the input, after <see cref="Backward"/>.</summary>
    public ReadOnlySpan<float> StateGradient(int row) => _inputGradients.AsSpan(row * _hyper.HeadInput, _hyper.Hidden);

    public void Forward(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int rows)
    {
        int input = _hyper.HeadInput;
        int output = _hyper.HeadOutput;
        for (int r = 0; r < rows; r++)
        {
            bias.CopyTo(_outputs.AsSpan(r * output, output));
        }

        Gemm.Multiply(_inputs, input, weights, output, _outputs, output, rows, output, input, accumulate: true);
    }

    /// <summary>
    /// Pinball loss of the outputs against targets [rows x Horizon] (normalised units), summed; writes its gradient,
    /// times <paramref name="weight"/>, with respect to the outputs.
    /// </summary>
    public double Loss(ReadOnlySpan<float> targets, int rows, float weight)
    {
        int steps = _hyper.Horizon;
        int levels = _levels.Length;
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int h = 0; h < steps; h++)
            {
                float y = targets[(r * steps) + h];
                int at = (r * _hyper.HeadOutput) + (h * levels);
                for (int q = 0; q < levels; q++)
                {
                    float f = _outputs[at + q];
                    float level = _levels[q];
                    if (y >= f)
                    {
                        loss += level * (y - f);
                        _outputGradients[at + q] = -level * weight;
                    }
                    else
                    {
                        loss += (1 - level) * (f - y);
                        _outputGradients[at + q] = (1 - level) * weight;
                    }
                }
            }
        }

        return loss;
    }

    /// <summary>Adds the head's parameter gradients and computes the input gradients (<see cref="StateGradient"/>).</summary>
    public void Backward(ReadOnlySpan<float> weights, Span<float> weightGradient, Span<float> biasGradient, int rows)
    {
        int input = _hyper.HeadInput;
        int output = _hyper.HeadOutput;
        Gemm.Transpose(weights, output, input, output, _transposedWeights);
        Gemm.Multiply(_outputGradients, output, _transposedWeights, input, _inputGradients, input, rows, input, output, accumulate: false);
        Gemm.MultiplyTransposedA(_inputs, input, _outputGradients, output, weightGradient, output, input, output, rows, accumulate: true, _scratch);
        for (int r = 0; r < rows; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(biasGradient, _outputGradients.AsSpan(r * output, output), biasGradient);
        }
    }
}
