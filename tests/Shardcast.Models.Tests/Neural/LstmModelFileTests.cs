using Shardcast.Models.Neural;

namespace Shardcast.Models.Tests.Neural;

public class LstmModelFileTests
{
    private static readonly LstmHyperParameters Hyper = new() { Hidden = 8, Layers = 2, Seed = 3 };

    [Fact]
    public void A_model_and_a_checkpoint_round_trip_exactly()
    {
        var network = LstmNetwork.Initialise(Hyper);
        var statistics = new LstmFeatureStatistics(LstmFeatureStatistics.CurrentFeatureSet, 10, 2, 100, [1, 2], [3, 4]);
        var plain = LstmModelFile.Deserialise(LstmModelFile.Serialise(new LstmModelContents(network, statistics, "test", null)));
        Assert.Equal(network.Parameters, plain.Network.Parameters);
        Assert.Equal(Hyper.Quantiles, plain.Network.Hyper.Quantiles);
        Assert.Equal(Hyper with { Quantiles = plain.Network.Hyper.Quantiles }, plain.Network.Hyper);
        Assert.Equal("test", plain.Description);
        Assert.Equal(statistics.InputMeans, plain.Statistics.InputMeans);
        Assert.Null(plain.Training);

        int n = network.Parameters.Length;
        var state = new LstmTrainingState(3, 300, 12345, 0.25, 1, new float[n], Enumerable.Repeat(0.5f, n).ToArray(), (float[])network.Parameters.Clone(), Enumerable.Repeat(0.25f, n).ToArray());
        var checkpoint = LstmModelFile.Deserialise(LstmModelFile.Serialise(new LstmModelContents(network, statistics, "ckpt", state)));
        Assert.Equal(state.Epoch, checkpoint.Training!.Epoch);
        Assert.Equal(state.RandomState, checkpoint.Training.RandomState);
        Assert.Equal(state.AdamSecond, checkpoint.Training.AdamSecond);
        Assert.Equal(state.AverageParameters, checkpoint.Training.AverageParameters);
    }

    [Fact]
    public void Truncation_wrong_version_bad_magic_and_corruption_are_each_named()
    {
        var bytes = Bytes();
        Assert.Contains("truncated", Refusal(bytes[..(bytes.Length - 100)]), StringComparison.Ordinal);
        Assert.Contains("truncated", Refusal(bytes[..10]), StringComparison.Ordinal);

        var version = (byte[])bytes.Clone();
        version[8] = 2;
        Assert.Contains("unsupported model file version 2", Refusal(version), StringComparison.Ordinal);

        var magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("not a Shardcast LSTM model file", Refusal(magic), StringComparison.Ordinal);

        var weights = (byte[])bytes.Clone();
        weights[^100] ^= 0x40;
        Assert.Contains("checksum mismatch", Refusal(weights), StringComparison.Ordinal);
    }

    [Fact]
    public void Corruption_at_random_offsets_is_always_refused_never_half_loaded()
    {
        var bytes = Bytes();
        var random = new Random(17);
        for (int trial = 0; trial < 400; trial++)
        {
            var copy = (byte[])bytes.Clone();
            int offset = random.Next(copy.Length);
            copy[offset] ^= (byte)(1 + random.Next(255));
            if (trial % 4 == 0)
            {
                copy = copy[..random.Next(copy.Length)];
            }

            Assert.Throws<ModelFileException>(() => LstmModelFile.Deserialise(copy));
        }
    }

    [Fact]
    public void Files_are_written_whole_and_missing_files_are_named()
    {
        string folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string path = Path.Combine(folder, "m.bin");
            LstmModelFile.Write(path, new LstmModelContents(LstmNetwork.Initialise(Hyper), LstmFeatureStatistics.Empty, "", null));
            Assert.False(File.Exists(path + ".tmp"));
            Assert.Equal(LstmNetwork.ParameterCountFor(Hyper), LstmModelFile.Read(path).Network.Parameters.Length);
            var e = Assert.Throws<ModelFileException>(() => LstmModelFile.Read(Path.Combine(folder, "none.bin")));
            Assert.Contains("no such model file", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static byte[] Bytes() => LstmModelFile.Serialise(new LstmModelContents(LstmNetwork.Initialise(Hyper), LstmFeatureStatistics.Empty, "x", null));

    private static string Refusal(byte[] bytes) => Assert.Throws<ModelFileException>(() => LstmModelFile.Deserialise(bytes)).Message;
}
