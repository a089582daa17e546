using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Shardcast.Models.Neural;

/// <summary>
/// Forward and backward (backpropagation through time) of a stacked LSTM over T steps for B rows at once, time
/// major ([T, B, features]), from zero initial states. One instance is one thread's workspace: every buffer is
/// allocated here once, so a training step allocates nothing. Each step is one GEMM per layer on the row-wise
/// concatenation [x_t, h_{t-1}]; the weight gradient is one GEMM per layer over all T x B rows.
/// </summary>
public sealed class LstmSequence
{
    private readonly LstmShape _shape;
    private readonly int _maxSteps;
    private readonly int _maxRows;
    private readonly float[][] _joined;   // [T, B, in + H] per layer: the GEMM's left operand
    private readonly float[][] _gates;    // [T, B, 4H] per layer: activated i, f, g, o
    private readonly float[][] _cells;    // [T, B, H] per layer
    private readonly float[][] _outputs;  // [T, B, H] per layer
    private readonly float[][] _outputGradients; // [T, B, H] per layer: from above (head or next layer)
    private readonly float[] _gateGradients;     // [T, B, 4H] for the layer being differentiated
    private readonly float[] _transposedWeights; // [4H, in + H]
    private readonly float[] _joinedGradient;    // [B, in + H]
    private readonly float[] _hiddenCarry;       // [B, H]
    private readonly float[] _cellCarry;         // [B, H]
    private readonly float[] _tanhCell;          // [H]
    private readonly float[] _transposeScratch;  // [(in + H) x T B]
    private int _steps;
    private int _rows;

    public LstmSequence(LstmShape shape, int maxSteps, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        _shape = shape;
        _maxSteps = maxSteps;
        _maxRows = maxRows;
        int h = shape.Hidden;
        int widest = Enumerable.Range(0, shape.Layers).Max(shape.LayerRows);
        _joined = [.. Enumerable.Range(0, shape.Layers).Select(l => new float[maxSteps * maxRows * shape.LayerRows(l)])];
        _gates = [.. Enumerable.Range(0, shape.Layers).Select(_ => new float[maxSteps * maxRows * 4 * h])];
        _cells = [.. Enumerable.Range(0, shape.Layers).Select(_ => new float[maxSteps * maxRows * h])];
        _outputs = [.. Enumerable.Range(0, shape.Layers).Select(_ => new float[maxSteps * maxRows * h])];
        _outputGradients = [.. Enumerable.Range(0, shape.Layers).Select(_ => new float[maxSteps * maxRows * h])];
        _gateGradients = new float[maxSteps * maxRows * 4 * h];
        _transposedWeights = new float[4 * h * widest];
        _joinedGradient = new float[maxRows * widest];
        _hiddenCarry = new float[maxRows * h];
        _cellCarry = new float[maxRows * h];
        _tanhCell = new float[h];
        _transposeScratch = new float[widest * maxSteps * maxRows];
    }

    public LstmShape Shape => _shape;

    public int Steps => _steps;

    public int Rows => _rows;

    /// <summary>The top layer's outputs h_t, [T, B, H], valid after <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> TopOutput => _outputs[_shape.Layers - 1].AsSpan(0, _steps * _rows * _shape.Hidden);

    /// <summary>The loss gradient with respect to the top layer's outputs, [T, B, H]: cleared by Forward, filled by the caller.</summary>
    public Span<float> TopOutputGradient => _outputGradients[_shape.Layers - 1].AsSpan(0, _steps * _rows * _shape.Hidden);

    /// <summary>The final cell state of layer l, [B, H] (torch's c_n).</summary>
    public ReadOnlySpan<float> FinalCell(int layer) => _cells[layer].AsSpan((_steps - 1) * _rows * _shape.Hidden, _rows * _shape.Hidden);

    /// <summary>The final output of layer l, [B, H] (torch's h_n).</summary>
    public ReadOnlySpan<float> FinalOutput(int layer) => _outputs[layer].AsSpan((_steps - 1) * _rows * _shape.Hidden, _rows * _shape.Hidden);

    /// <summary>Runs every layer over <paramref name="input"/> [T, B, InputSize].</summary>
    public void Forward(ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, int steps, int rows)
    {
        if (steps < 1 || steps > _maxSteps || rows < 1 || rows > _maxRows)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), $"{steps} steps x {rows} rows exceed the workspace ({_maxSteps} x {_maxRows}).");
        }

        if (input.Length < steps * rows * _shape.InputSize || parameters.Length < _shape.ParameterCount)
        {
            throw new ArgumentException("Input or parameters shorter than the shape requires.");
        }

        _steps = steps;
        _rows = rows;
        int h = _shape.Hidden;
        for (int layer = 0; layer < _shape.Layers; layer++)
        {
            int inSize = _shape.LayerInput(layer);
            int width = inSize + h;
            var joined = _joined[layer].AsSpan();
            var below = layer == 0 ? input : _outputs[layer - 1];
            var weights = parameters.Slice(_shape.WeightOffset(layer), width * 4 * h);
            var bias = parameters.Slice(_shape.BiasOffset(layer), 4 * h);
            var gates = _gates[layer].AsSpan();
            var cells = _cells[layer].AsSpan();
            var outputs = _outputs[layer].AsSpan();
            for (int t = 0; t < steps; t++)
            {
                for (int b = 0; b < rows; b++)
                {
                    var row = joined.Slice(((t * rows) + b) * width, width);
                    below.Slice(((t * rows) + b) * inSize, inSize).CopyTo(row);
                    if (t == 0)
                    {
                        row[inSize..].Clear();
                    }
                    else
                    {
                        outputs.Slice((((t - 1) * rows) + b) * h, h).CopyTo(row[inSize..]);
                    }
                }

                var stepGates = gates.Slice(t * rows * 4 * h, rows * 4 * h);
                Gemm.Multiply(joined.Slice(t * rows * width), width, weights, 4 * h, stepGates, 4 * h, rows, 4 * h, width, accumulate: false);
                for (int b = 0; b < rows; b++)
                {
                    var g = stepGates.Slice(b * 4 * h, 4 * h);
                    var previous = t == 0 ? default : cells.Slice((((t - 1) * rows) + b) * h, h);
                    CellForward(g, bias, previous, cells.Slice(((t * rows) + b) * h, h), outputs.Slice(((t * rows) + b) * h, h), h);
                }
            }
        }

        foreach (var gradient in _outputGradients)
        {
            gradient.AsSpan(0, steps * rows * h).Clear();
        }
    }

    /// <summary>
    /// Backpropagates <see cref="TopOutputGradient"/> through every layer and step, adding the parameter gradients
    /// into <paramref name="gradients"/> (same layout as the parameters) and, where given, writing the input's
    /// gradient [T, B, InputSize].
    /// </summary>
    public void Backward(ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> inputGradient)
    {
        int h = _shape.Hidden;
        int steps = _steps;
        int rows = _rows;
        for (int layer = _shape.Layers - 1; layer >= 0; layer--)
        {
            int inSize = _shape.LayerInput(layer);
            int width = inSize + h;
            var weights = parameters.Slice(_shape.WeightOffset(layer), width * 4 * h);
            Gemm.Transpose(weights, 4 * h, width, 4 * h, _transposedWeights);
            var gates = _gates[layer].AsSpan();
            var cells = _cells[layer].AsSpan();
            var outputGradient = _outputGradients[layer].AsSpan();
            var gateGradients = _gateGradients.AsSpan();
            var joinedGradient = _joinedGradient.AsSpan(0, rows * width);
            var hiddenCarry = _hiddenCarry.AsSpan(0, rows * h);
            var cellCarry = _cellCarry.AsSpan(0, rows * h);
            hiddenCarry.Clear();
            cellCarry.Clear();
            for (int t = steps - 1; t >= 0; t--)
            {
                for (int b = 0; b < rows; b++)
                {
                    int at = (t * rows) + b;
                    var previous = t == 0 ? default : cells.Slice((at - rows) * h, h);
                    CellBackward(
                        gates.Slice(at * 4 * h, 4 * h), cells.Slice(at * h, h), previous, outputGradient.Slice(at * h, h),
                        hiddenCarry.Slice(b * h, h), cellCarry.Slice(b * h, h), gateGradients.Slice(at * 4 * h, 4 * h), h);
                }

                Gemm.Multiply(gateGradients.Slice(t * rows * 4 * h), 4 * h, _transposedWeights, width, joinedGradient, width, rows, width, 4 * h, accumulate: false);
                for (int b = 0; b < rows; b++)
                {
                    var row = joinedGradient.Slice(b * width, width);
                    row[inSize..].CopyTo(hiddenCarry.Slice(b * h, h));
                    if (layer > 0)
                    {
                        TensorPrimitives.Add(_outputGradients[layer - 1].AsSpan(((t * rows) + b) * h, h), row[..inSize], _outputGradients[layer - 1].AsSpan(((t * rows) + b) * h, h));
                    }
                    else if (!inputGradient.IsEmpty)
                    {
                        row[..inSize].CopyTo(inputGradient.Slice(((t * rows) + b) * inSize, inSize));
                    }
                }
            }

            int count = steps * rows;
            Gemm.MultiplyTransposedA(
                _joined[layer], width, gateGradients, 4 * h, gradients.Slice(_shape.WeightOffset(layer), width * 4 * h), 4 * h, width, 4 * h, count, accumulate: true, _transposeScratch);
            var biasGradient = gradients.Slice(_shape.BiasOffset(layer), 4 * h);
            for (int r = 0; r < count; r++)
            {
                TensorPrimitives.Add(biasGradient, gateGradients.Slice(r * 4 * h, 4 * h), biasGradient);
            }
        }
    }

    /// <summary>Adds the bias to one row's pre-activations, activates the gates in place, and advances c and h.</summary>
    internal static void CellForward(Span<float> gates, ReadOnlySpan<float> bias, ReadOnlySpan<float> previousCell, Span<float> cell, Span<float> output, int h)
    {
        TensorPrimitives.Add(gates, bias, gates);
        TensorPrimitives.Sigmoid(gates[..(2 * h)], gates[..(2 * h)]);
        TensorPrimitives.Tanh(gates.Slice(2 * h, h), gates.Slice(2 * h, h));
        TensorPrimitives.Sigmoid(gates.Slice(3 * h, h), gates.Slice(3 * h, h));
        var i = gates[..h];
        var f = gates.Slice(h, h);
        var g = gates.Slice(2 * h, h);
        var o = gates.Slice(3 * h, h);
        TensorPrimitives.Multiply(i, g, cell);
        if (!previousCell.IsEmpty)
        {
            TensorPrimitives.FusedMultiplyAdd(f, previousCell, cell, cell);
        }

        TensorPrimitives.Tanh(cell, output);
        TensorPrimitives.Multiply(output, o, output);
    }

    /// <summary>
    /// One row's step backward. In: dh from above (<paramref name="outputGradient"/>) plus the carries from step
    /// t+1; out: pre-activation gate gradients, and the carries for step t-1 (dc * f; dh is set by the caller).
    /// </summary>
    private void CellBackward(
        ReadOnlySpan<float> gates, ReadOnlySpan<float> cell, ReadOnlySpan<float> previousCell, ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<float> hiddenCarry, Span<float> cellCarry, Span<float> gateGradients, int h)
    {
        var tanhCell = _tanhCell.AsSpan();
        TensorPrimitives.Tanh(cell, tanhCell);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<float>.One;
            for (; j + 8 <= h; j += 8)
            {
                var i = Vector256.Create(gates.Slice(j, 8));
                var f = Vector256.Create(gates.Slice(h + j, 8));
                var g = Vector256.Create(gates.Slice((2 * h) + j, 8));
                var o = Vector256.Create(gates.Slice((3 * h) + j, 8));
                var tc = Vector256.Create(tanhCell.Slice(j, 8));
                var dh = Vector256.Create(outputGradient.Slice(j, 8)) + Vector256.Create(hiddenCarry.Slice(j, 8));
                var dc = Vector256.Create(cellCarry.Slice(j, 8)) + (dh * o * (one - (tc * tc)));
                var cPrev = previousCell.IsEmpty ? Vector256<float>.Zero : Vector256.Create(previousCell.Slice(j, 8));
                (dc * g * i * (one - i)).CopyTo(gateGradients.Slice(j, 8));
                (dc * cPrev * f * (one - f)).CopyTo(gateGradients.Slice(h + j, 8));
                (dc * i * (one - (g * g))).CopyTo(gateGradients.Slice((2 * h) + j, 8));
                (dh * tc * o * (one - o)).CopyTo(gateGradients.Slice((3 * h) + j, 8));
                (dc * f).CopyTo(cellCarry.Slice(j, 8));
            }
        }

        for (; j < h; j++)
        {
            float i = gates[j], f = gates[h + j], g = gates[(2 * h) + j], o = gates[(3 * h) + j];
            float tc = tanhCell[j];
            float dh = outputGradient[j] + hiddenCarry[j];
            float dc = cellCarry[j] + (dh * o * (1 - (tc * tc)));
            float cPrev = previousCell.IsEmpty ? 0 : previousCell[j];
            gateGradients[j] = dc * g * i * (1 - i);
            gateGradients[h + j] = dc * cPrev * f * (1 - f);
            gateGradients[(2 * h) + j] = dc * i * (1 - (g * g));
            gateGradients[(3 * h) + j] = dh * tc * o * (1 - o);
            cellCarry[j] = dc * f;
        }
    }
}
