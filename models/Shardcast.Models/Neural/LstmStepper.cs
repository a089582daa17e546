using System.Numerics.Tensors;

namespace Shardcast.Models.Neural;

/// <summary>
/// Streaming inference: each row (one series) keeps its hidden and cell states and advances one step per new
/// observation; a step over many rows is one GEMM per layer, split across cores in blocks of rows.
/// </summary>
public sealed class LstmStepper
{
    private const int RowsPerTask = 256;
    private readonly LstmNetwork _network;
    private readonly int _rows;
    private readonly float[][] _hidden;
    private readonly float[][] _cells;
    private readonly float[] _joined;
    private readonly float[] _gates;

    public LstmStepper(LstmNetwork network, int rows)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        _network = network;
        _rows = rows;
        var shape = network.Shape;
        _hidden = [.. Enumerable.Range(0, shape.Layers).Select(_ => new float[rows * shape.Hidden])];
        _cells = [.. Enumerable.Range(0, shape.Layers).Select(_ => new float[rows * shape.Hidden])];
        _joined = new float[rows * Enumerable.Range(0, shape.Layers).Max(shape.LayerRows)];
        _gates = new float[rows * shape.Gates];
    }

    public int Rows => _rows;

    /// <summary>Row r's top-layer state, [Hidden].</summary>
    public ReadOnlySpan<float> Top(int row) => _hidden[^1].AsSpan(row * _network.Shape.Hidden, _network.Shape.Hidden);

    /// <summary>Zeroes row r's states (a new series in that row).</summary>
    public void Reset(int row)
    {
        int h = _network.Shape.Hidden;
        foreach (var layer in _hidden.Concat(_cells))
        {
            layer.AsSpan(row * h, h).Clear();
        }
    }

    /// <summary>Advances rows [from, from + count) by one step on inputs [count x InputSize], in parallel over row blocks.</summary>
    public void Step(ReadOnlySpan<float> inputs, int from, int count, int threads)
    {
        if (from < 0 || count < 0 || from + count > _rows || inputs.Length < count * _network.Shape.InputSize)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"rows [{from}, {from + count}) of {_rows}, {inputs.Length} inputs");
        }

        int blocks = (count + RowsPerTask - 1) / RowsPerTask;
        if (blocks <= 1 || threads <= 1)
        {
            StepBlock(inputs, from, count);
            return;
        }

        var copy = inputs[..(count * _network.Shape.InputSize)].ToArray();
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
        {
            int start = block * RowsPerTask;
            int size = Math.Min(RowsPerTask, count - start);
            StepBlock(copy.AsSpan(start * _network.Shape.InputSize), from + start, size);
        });
    }

    private void StepBlock(ReadOnlySpan<float> inputs, int from, int count)
    {
        var shape = _network.Shape;
        int h = shape.Hidden;
        var parameters = _network.Parameters;
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            int inSize = shape.LayerInput(layer);
            int width = inSize + h;
            var joined = _joined.AsSpan(from * width, count * width);
            var below = layer == 0 ? inputs : _hidden[layer - 1].AsSpan(from * h, count * h);
            for (int r = 0; r < count; r++)
            {
                below.Slice(r * inSize, inSize).CopyTo(joined.Slice(r * width, inSize));
                _hidden[layer].AsSpan((from + r) * h, h).CopyTo(joined.Slice((r * width) + inSize, h));
            }

            var gates = _gates.AsSpan(from * 4 * h, count * 4 * h);
            Gemm.Multiply(joined, width, parameters.AsSpan(shape.WeightOffset(layer), width * 4 * h), 4 * h, gates, 4 * h, count, 4 * h, width, accumulate: false);
            var bias = parameters.AsSpan(shape.BiasOffset(layer), 4 * h);
            for (int r = 0; r < count; r++)
            {
                var cell = _cells[layer].AsSpan((from + r) * h, h);
                var g = gates.Slice(r * 4 * h, 4 * h);
                // CellForward writes c from the previous c: f * c_prev + i * g, computed in place.
                TensorPrimitives.Add(g, bias, g);
                TensorPrimitives.Sigmoid(g[..(2 * h)], g[..(2 * h)]);
                TensorPrimitives.Tanh(g.Slice(2 * h, h), g.Slice(2 * h, h));
                TensorPrimitives.Sigmoid(g.Slice(3 * h, h), g.Slice(3 * h, h));
                TensorPrimitives.Multiply(g.Slice(h, h), cell, cell);
                TensorPrimitives.FusedMultiplyAdd(g[..h], g.Slice(2 * h, h), cell, cell);
                var output = _hidden[layer].AsSpan((from + r) * h, h);
                TensorPrimitives.Tanh(cell, output);
                TensorPrimitives.Multiply(output, g.Slice(3 * h, h), output);
            }
        }
    }
}
