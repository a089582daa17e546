namespace Shardcast.Models.Neural;

/// <summary>
/// The shape of a stacked LSTM and its parameter layout in one flat vector: for each layer, W [(in + hidden) x 4
/// hidden] (input rows first, then recurrent rows; gate columns i, f, g, o as in PyTorch) and one bias [4 hidden]
/// (PyTorch's two biases summed).
/// </summary>
public sealed record LstmShape(int InputSize, int Hidden, int Layers)
{
    public int LayerInput(int layer) => layer == 0 ? InputSize : Hidden;

    /// <summary>Rows of layer l's weight matrix: its input then its recurrent state.</summary>
    public int LayerRows(int layer) => LayerInput(layer) + Hidden;

    public int Gates => 4 * Hidden;

    public int WeightOffset(int layer)
    {
        int offset = 0;
        for (int l = 0; l < layer; l++)
        {
            offset += (LayerRows(l) * Gates) + Gates;
        }

        return offset;
    }

    public int BiasOffset(int layer) => WeightOffset(layer) + (LayerRows(layer) * Gates);

    public int ParameterCount => WeightOffset(Layers);

    public void Validate()
    {
        if (InputSize < 1 || Hidden < 1 || Layers < 1 || Hidden > 4096 || Layers > 16 || InputSize > 4096)
        {
            throw new ArgumentException($"Unsupported LSTM shape: input {InputSize}, hidden {Hidden}, layers {Layers}.");
        }
    }
}
