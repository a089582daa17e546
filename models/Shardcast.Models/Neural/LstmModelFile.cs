using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Shardcast.Models.Neural;

/// <summary>A model file that cannot be used; the message says which check failed (format, version, truncation, checksum, content).</summary>
public sealed class ModelFileException(string message) : Exception(message);

/// <summary>Where training stands, saved in checkpoints so that `train --resume` continues exactly.</summary>
public sealed record LstmTrainingState(
    int Epoch, long Step, ulong RandomState, double BestValidationLoss, int EpochsWithoutImprovement, float[] AdamFirst, float[] AdamSecond, float[] BestParameters, float[] AverageParameters);

/// <summary>What a model file holds: the network, how it was trained, and (in a checkpoint) the training state.</summary>
public sealed record LstmModelContents(LstmNetwork Network, LstmFeatureStatistics Statistics, string Description, LstmTrainingState? Training);

/// <summary>
/// The LSTM model file: "SHRDLSTM", a version, a JSON header (hyper-parameters, normalisation statistics,
/// description), the parameters as little-endian float32, an optional training-state section, and a SHA-256 of
/// everything before it. Reading checks, in order, the magic, the version, the declared lengths against the
/// file's, and the checksum, and refuses with the first that fails: nothing half-read is ever returned.
/// </summary>
public static class LstmModelFile
{
    public const int Version = 1;
    private static readonly byte[] Magic = "SHRDLSTM"u8.ToArray();
    private const int HashLength = 32;

    public static void Write(string path, LstmModelContents contents)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = Serialise(contents);
        // Written beside the target and renamed over it: a crash mid-write never leaves a half file under the name.
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    public static LstmModelContents Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new ModelFileException($"{path}: no such model file");
        }

        try
        {
            return Deserialise(bytes);
        }
        catch (ModelFileException e)
        {
            throw new ModelFileException($"{path}: {e.Message}");
        }
    }

    public static byte[] Serialise(LstmModelContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var network = contents.Network;
        byte[] header = JsonSerializer.SerializeToUtf8Bytes(new Header
        {
            Hyper = HeaderHyper.From(network.Hyper),
            Statistics = contents.Statistics,
            Description = contents.Description,
            ParameterCount = network.Parameters.Length,
            Training = contents.Training is { } t ? new HeaderTraining(t.Epoch, t.Step, t.RandomState, t.BestValidationLoss, t.EpochsWithoutImprovement) : null,
        });
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(header.Length);
            writer.Write(header);
            WriteFloats(writer, network.Parameters);
            if (contents.Training is { } training)
            {
                WriteFloats(writer, training.AdamFirst);
                WriteFloats(writer, training.AdamSecond);
                WriteFloats(writer, training.BestParameters);
                WriteFloats(writer, training.AverageParameters);
            }
        }

        byte[] hash = SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        stream.Write(hash);
        return stream.ToArray();
    }

    public static LstmModelContents Deserialise(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new ModelFileException("not a Shardcast LSTM model file (bad magic)");
        }

        if (bytes.Length < Magic.Length + 8)
        {
            throw new ModelFileException($"truncated: {bytes.Length} bytes cannot hold the header");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[Magic.Length..]);
        if (version != Version)
        {
            throw new ModelFileException($"unsupported model file version {version} (this build reads version {Version})");
        }

        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[(Magic.Length + 4)..]);
        int headerStart = Magic.Length + 8;
        if (headerLength < 2 || headerLength > bytes.Length - headerStart - HashLength)
        {
            throw new ModelFileException(headerLength < 2 ? $"corrupted: header length {headerLength}" : $"truncated: the header declares {headerLength} bytes, the file has {bytes.Length - headerStart - HashLength} after it");
        }

        // The checksum comes before the header is parsed: a corrupted header must not be interpreted at all.
        var body = bytes[..^HashLength];
        Span<byte> actual = stackalloc byte[HashLength];
        SHA256.HashData(body, actual);
        Header header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(bytes.Slice(headerStart, headerLength)) ?? throw new JsonException("null header");
        }
        catch (JsonException e) when (!actual.SequenceEqual(bytes[^HashLength..]))
        {
            throw new ModelFileException($"checksum mismatch: the file is corrupted or truncated ({e.Message})");
        }
        catch (JsonException e)
        {
            throw new ModelFileException($"corrupted header: {e.Message}");
        }

        long count = header.ParameterCount;
        int sections = header.Training is null ? 1 : 5;
        long expected = headerStart + headerLength + (sections * count * 4) + HashLength;
        if (count <= 0 || expected != bytes.Length)
        {
            if (actual.SequenceEqual(bytes[^HashLength..]))
            {
                throw new ModelFileException($"corrupted: {count} parameters in {sections} section(s) need {expected} bytes, the file has {bytes.Length}");
            }

            throw new ModelFileException(expected > bytes.Length ? $"truncated: expected {expected} bytes, found {bytes.Length}" : $"checksum mismatch or trailing bytes: expected {expected} bytes, found {bytes.Length}");
        }

        if (!actual.SequenceEqual(bytes[^HashLength..]))
        {
            throw new ModelFileException("checksum mismatch: the file is corrupted");
        }

        LstmHyperParameters hyper;
        try
        {
            hyper = header.Hyper?.ToHyper() ?? throw new ModelFileException("the header has no hyper-parameters");
            hyper.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFileException($"bad hyper-parameters: {e.Message}");
        }

        if (LstmNetwork.ParameterCountFor(hyper) != count)
        {
            throw new ModelFileException($"the hyper-parameters need {LstmNetwork.ParameterCountFor(hyper)} parameters, the file holds {count}");
        }

        int offset = headerStart + headerLength;
        int size = (int)count;
        var network = new LstmNetwork(hyper, ReadSection(bytes, offset, size));
        LstmTrainingState? training = null;
        if (header.Training is { } t)
        {
            training = new LstmTrainingState(
                t.Epoch, t.Step, t.RandomState, t.BestValidationLoss, t.EpochsWithoutImprovement,
                ReadSection(bytes, offset + (size * 4), size), ReadSection(bytes, offset + (size * 8), size), ReadSection(bytes, offset + (size * 12), size),
                ReadSection(bytes, offset + (size * 16), size));
        }

        return new LstmModelContents(network, header.Statistics ?? LstmFeatureStatistics.Empty, header.Description ?? "", training);
    }

    private static float[] ReadSection(ReadOnlySpan<byte> bytes, int offset, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(offset + (i * 4))..]);
            if (!float.IsFinite(values[i]))
            {
                throw new ModelFileException($"value {i} of a section is not finite");
            }
        }

        return values;
    }

    private static void WriteFloats(BinaryWriter writer, float[] values)
    {
        Span<byte> buffer = stackalloc byte[4];
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, v);
            writer.Write(buffer);
        }
    }

    private sealed class Header
    {
        public HeaderHyper? Hyper { get; set; }

        public LstmFeatureStatistics? Statistics { get; set; }

        public string? Description { get; set; }

        public long ParameterCount { get; set; }

        public HeaderTraining? Training { get; set; }
    }

    private sealed record HeaderTraining(int Epoch, long Step, ulong RandomState, double BestValidationLoss, int EpochsWithoutImprovement);

    private sealed class HeaderHyper
    {
        public int Hidden { get; set; }

        public int Layers { get; set; }

        public int Horizon { get; set; }

        public double[] Quantiles { get; set; } = [];

        public int Window { get; set; }

        public int BurnIn { get; set; }

        public int LossStride { get; set; }

        public int BatchSize { get; set; }

        public int BatchesPerEpoch { get; set; }

        public int Epochs { get; set; }

        public int Patience { get; set; }

        public double LearningRate { get; set; }

        public double ClipNorm { get; set; }

        public ulong Seed { get; set; }

        public int InputSize { get; set; }

        public static HeaderHyper From(LstmHyperParameters h) => new()
        {
            Hidden = h.Hidden, Layers = h.Layers, Horizon = h.Horizon, Quantiles = [.. h.Quantiles], Window = h.Window, BurnIn = h.BurnIn,
            LossStride = h.LossStride, BatchSize = h.BatchSize, BatchesPerEpoch = h.BatchesPerEpoch, Epochs = h.Epochs, Patience = h.Patience,
            LearningRate = h.LearningRate, ClipNorm = h.ClipNorm, Seed = h.Seed, InputSize = LstmFeatures.InputSize,
        };

        public LstmHyperParameters ToHyper()
        {
            if (InputSize != LstmFeatures.InputSize)
            {
                throw new ModelFileException($"the model expects {InputSize} inputs per step, this build computes {LstmFeatures.InputSize}");
            }

            return new LstmHyperParameters
            {
                Hidden = Hidden, Layers = Layers, Horizon = Horizon, Quantiles = Quantiles ?? [], Window = Window, BurnIn = BurnIn, LossStride = LossStride,
                BatchSize = BatchSize, BatchesPerEpoch = BatchesPerEpoch, Epochs = Epochs, Patience = Patience, LearningRate = LearningRate,
                ClipNorm = ClipNorm, Seed = Seed,
            };
        }
    }
}

/// <summary>
/// The normalisation a model was trained with and what its inputs looked like on the training set: series are
/// scaled by their own mean absolute step at run time; these statistics record the clip bound and each input's
/// mean and standard deviation over the training windows, so a user can see what data a model was made from.
/// </summary>
public sealed record LstmFeatureStatistics(string FeatureSet, double Clip, int Series, long Points, double[] InputMeans, double[] InputStandardDeviations)
{
    public const string CurrentFeatureSet = "v1: step, fast-ewma and slow-ewma distance, seasonal change (scale units, clipped); time of day, day of week; seasonal anchors";

    public static LstmFeatureStatistics Empty { get; } = new(CurrentFeatureSet, LstmFeatures.Clip, 0, 0, [], []);
}
