using System.Text.Json;
using Shardcast.Models.Neural;

namespace Shardcast.Models.Tests.Neural;

/// <summary>
/// The LSTM against PyTorch: tools/lstm_golden.py wrote torch.nn.LSTM's outputs and gradients for fixed weights
/// and input, in two shapes (a tiny one of two stacked layers, and the served model's: 8 inputs, hidden 64, over 48
/// steps); the C# forward and backward must agree within 1e-4.
/// </summary>
public class LstmGoldenTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Files => ["lstm_golden.json", "lstm_golden_realistic.json"];

    [Theory]
    [MemberData(nameof(Files))]
    public void Forward_outputs_and_final_states_match_pytorch(string file)
    {
        var (golden, shape, parameters, sequence) = RunGolden(file);
        AssertClose(golden.Array("output"), sequence.TopOutput.ToArray(), "output");
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            int size = golden.Batch * shape.Hidden;
            AssertClose(golden.Array("h_n").AsSpan(layer * size, size).ToArray(), sequence.FinalOutput(layer).ToArray(), $"h_n[{layer}]");
            AssertClose(golden.Array("c_n").AsSpan(layer * size, size).ToArray(), sequence.FinalCell(layer).ToArray(), $"c_n[{layer}]");
        }

        Assert.NotEmpty(parameters);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Gradients_of_every_weight_bias_and_the_input_match_pytorch(string file)
    {
        var (golden, shape, parameters, sequence) = RunGolden(file);
        var (gradients, inputGradient) = Backward(golden, shape, parameters, sequence);

        AssertClose(golden.Array("grad_x"), inputGradient, "grad_x");
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            var (inputWeights, recurrentWeights, bias) = FromTorchLayout(shape, layer, gradients);
            AssertClose(golden.Gradient($"weight_ih_l{layer}"), inputWeights, $"weight_ih_l{layer}");
            AssertClose(golden.Gradient($"weight_hh_l{layer}"), recurrentWeights, $"weight_hh_l{layer}");
            // Both of torch's biases receive the gradient of their sum.
            AssertClose(golden.Gradient($"bias_ih_l{layer}"), bias, $"bias_ih_l{layer}");
            AssertClose(golden.Gradient($"bias_hh_l{layer}"), bias, $"bias_hh_l{layer}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Gates_read_in_the_wrong_order_are_caught_forward_and_backward(string file)
    {
        // The comparisons are not vacuous: the classic layout bug (input and forget gates swapped) is far outside them,
        // in the outputs and in every layer's weight gradients.
        var (golden, shape, parameters, _) = RunGolden(file);
        int h = shape.Hidden;
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            for (int row = 0; row <= shape.LayerRows(layer); row++)
            {
                int at = row < shape.LayerRows(layer) ? shape.WeightOffset(layer) + (row * shape.Gates) : shape.BiasOffset(layer);
                for (int j = 0; j < h; j++)
                {
                    (parameters[at + j], parameters[at + h + j]) = (parameters[at + h + j], parameters[at + j]);
                }
            }
        }

        var sequence = new LstmSequence(shape, golden.Steps, golden.Batch);
        sequence.Forward(parameters, golden.Array("x").Select(v => (float)v).ToArray(), golden.Steps, golden.Batch);
        Assert.True(Worst(golden.Array("output"), sequence.TopOutput.ToArray()) > 100 * Tolerance, "outputs with swapped gates");

        var (gradients, inputGradient) = Backward(golden, shape, parameters, sequence);
        Assert.True(Worst(golden.Array("grad_x"), inputGradient) > 100 * Tolerance, "input gradient with swapped gates");
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            var (inputWeights, recurrentWeights, _) = FromTorchLayout(shape, layer, gradients);
            Assert.True(Worst(golden.Gradient($"weight_ih_l{layer}"), [.. inputWeights.Select(v => (float)v)]) > 100 * Tolerance, $"weight_ih_l{layer} gradient with swapped gates");
            Assert.True(Worst(golden.Gradient($"weight_hh_l{layer}"), [.. recurrentWeights.Select(v => (float)v)]) > 100 * Tolerance, $"weight_hh_l{layer} gradient with swapped gates");
        }
    }

    private static double Worst(double[] expected, IReadOnlyList<float> actual) => expected.Select((v, i) => Math.Abs(v - actual[i])).Max();

    private static (float[] Gradients, float[] InputGradient) Backward(Golden golden, LstmShape shape, float[] parameters, LstmSequence sequence)
    {
        golden.Array("r").Select(v => (float)v).ToArray().CopyTo(sequence.TopOutputGradient);
        var gradients = new float[shape.ParameterCount];
        var inputGradient = new float[golden.Steps * golden.Batch * shape.InputSize];
        sequence.Backward(parameters, gradients, inputGradient);
        return (gradients, inputGradient);
    }

    private static (Golden Golden, LstmShape Shape, float[] Parameters, LstmSequence Sequence) RunGolden(string file)
    {
        var golden = Golden.Load(file);
        var shape = new LstmShape(golden.InputSize, golden.Hidden, golden.Layers);
        var parameters = new float[shape.ParameterCount];
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            ToOurLayout(shape, layer, golden.Parameter($"weight_ih_l{layer}"), golden.Parameter($"weight_hh_l{layer}"), golden.Parameter($"bias_ih_l{layer}"), golden.Parameter($"bias_hh_l{layer}"), parameters);
        }

        var sequence = new LstmSequence(shape, golden.Steps, golden.Batch);
        sequence.Forward(parameters, golden.Array("x").Select(v => (float)v).ToArray(), golden.Steps, golden.Batch);
        return (golden, shape, parameters, sequence);
    }

    /// <summary>Torch keeps W_ih [4H, in] and W_hh [4H, H]; ours is one [(in + H), 4H] with a single summed bias.</summary>
    private static void ToOurLayout(LstmShape shape, int layer, double[] inputWeights, double[] recurrentWeights, double[] biasIh, double[] biasHh, float[] parameters)
    {
        int inSize = shape.LayerInput(layer);
        int gates = shape.Gates;
        int w = shape.WeightOffset(layer);
        for (int g = 0; g < gates; g++)
        {
            for (int i = 0; i < inSize; i++)
            {
                parameters[w + (i * gates) + g] = (float)inputWeights[(g * inSize) + i];
            }

            for (int i = 0; i < shape.Hidden; i++)
            {
                parameters[w + ((inSize + i) * gates) + g] = (float)recurrentWeights[(g * shape.Hidden) + i];
            }

            parameters[shape.BiasOffset(layer) + g] = (float)(biasIh[g] + biasHh[g]);
        }
    }

    private static (double[] InputWeights, double[] RecurrentWeights, double[] Bias) FromTorchLayout(LstmShape shape, int layer, float[] values)
    {
        int inSize = shape.LayerInput(layer);
        int gates = shape.Gates;
        int w = shape.WeightOffset(layer);
        var inputWeights = new double[gates * inSize];
        var recurrentWeights = new double[gates * shape.Hidden];
        var bias = new double[gates];
        for (int g = 0; g < gates; g++)
        {
            for (int i = 0; i < inSize; i++)
            {
                inputWeights[(g * inSize) + i] = values[w + (i * gates) + g];
            }

            for (int i = 0; i < shape.Hidden; i++)
            {
                recurrentWeights[(g * shape.Hidden) + i] = values[w + ((inSize + i) * gates) + g];
            }

            bias[g] = values[shape.BiasOffset(layer) + g];
        }

        return (inputWeights, recurrentWeights, bias);
    }

    private static void AssertClose(double[] expected, IReadOnlyList<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"{what}[{i}]: torch {expected[i]}, ours {actual[i]}");
        }
    }

    private static void AssertClose(double[] expected, double[] actual, string what) => AssertClose(expected, actual.Select(v => (float)v).ToArray(), what);

    private sealed class Golden(JsonElement root)
    {
        public int InputSize => root.GetProperty("input_size").GetInt32();

        public int Hidden => root.GetProperty("hidden").GetInt32();

        public int Layers => root.GetProperty("layers").GetInt32();

        public int Steps => root.GetProperty("steps").GetInt32();

        public int Batch => root.GetProperty("batch").GetInt32();

        public static Golden Load(string file)
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Golden", file);
            return new Golden(JsonDocument.Parse(File.ReadAllText(path)).RootElement);
        }

        public double[] Array(string name) => Read(root.GetProperty(name));

        public double[] Parameter(string name) => Read(root.GetProperty("parameters").GetProperty(name));

        public double[] Gradient(string name) => Read(root.GetProperty("gradients").GetProperty(name));

        private static double[] Read(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];
    }
}
