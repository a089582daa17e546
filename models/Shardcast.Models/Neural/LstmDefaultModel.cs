namespace Shardcast.Models.Neural;

/// <summary>
/// The small model shipped inside the library, trained by `shardcast train` on the NAB set's training parts
/// (docs/forecasting.md has the command): used wherever no model file is given. It is read through the same
/// checks as any model file.
/// </summary>
public static class LstmDefaultModel
{
    public const string ResourceName = "Shardcast.Models.lstm-nab.bin";

    private static readonly Lazy<LstmModelContents> Contents = new(Load);

    public static LstmModelContents Get() => Contents.Value;

    private static LstmModelContents Load()
    {
        using var stream = typeof(LstmDefaultModel).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new ModelFileException($"the default model ({ResourceName}) is missing from this build");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        try
        {
            return LstmModelFile.Deserialise(buffer.ToArray());
        }
        catch (ModelFileException e)
        {
            throw new ModelFileException($"the default model: {e.Message}");
        }
    }
}
