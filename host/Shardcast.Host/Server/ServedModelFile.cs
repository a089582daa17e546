using System.Globalization;
using System.Text.Json;
using Shardcast.Models.Neural;

namespace Shardcast.Host.Server;

/// <summary>
/// The served version kept across restarts, in the state folder: `model/served.bin`, an LSTM model file (checked
/// whole by its SHA-256 before anything is used) whose description holds the version's number, since when and why
/// it serves. A file that does not read is refused, named, and the shipped model serves instead: a half-written or
/// damaged model is never served.
/// </summary>
public static class ServedModelFile
{
    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, "model", "served.bin");

    public static void Write(string stateDirectory, ModelVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        string path = PathIn(stateDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string description = JsonSerializer.Serialize(new Header(version.Number, version.Since.ToString("O", CultureInfo.InvariantCulture), version.Reason));
        LstmModelFile.Write(path, new LstmModelContents(version.Network, LstmFeatureStatistics.Empty, description, null));
    }

    /// <returns>The kept version; null where there is none.</returns>
    /// <exception cref="ModelFileException">The file is there but does not read, or is not one this server wrote.</exception>
    public static ModelVersion? Read(string stateDirectory)
    {
        string path = PathIn(stateDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        var contents = LstmModelFile.Read(path);
        Header? header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(contents.Description);
        }
        catch (JsonException)
        {
            header = null;
        }

        if (header is null || header.Number < 2 || !DateTimeOffset.TryParse(header.Since, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var since))
        {
            throw new ModelFileException($"{path}: its description is not a served version's (number, since, reason)");
        }

        return new ModelVersion(header.Number, contents.Network, since, header.Reason ?? "");
    }

    private sealed record Header(int Number, string Since, string? Reason);
}
