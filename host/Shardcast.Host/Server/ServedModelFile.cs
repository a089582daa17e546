using System.Globalization;
using System.Text.Json;
using Shardcast.Models.Neural;

namespace Shardcast.Host.Server;

/// <summary>
/// The served version kept across restarts, in the state folder: `model/served.bin`, an LSTM model file (checked
/// whole by its SHA-256 before anything is used) whose description holds the version's number, since when and why
/// it serves, and the number of the version a roll-back returns to; that one, where it is not the shipped model, is
/// `model/previous.bin`, written first. A served file that does not read is refused, named, and the shipped model
/// serves instead: a half-written or damaged model is never served; a previous file that does not read, or is not
/// the version the served one names, leaves the served one serving without a roll-back.
/// </summary>
public static class ServedModelFile
{
    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, "model", "served.bin");

    public static string PreviousPathIn(string stateDirectory) => Path.Combine(stateDirectory, "model", "previous.bin");

    public static void Write(string stateDirectory, ModelVersion version, ModelVersion? previous = null)
    {
        ArgumentNullException.ThrowIfNull(version);
        string path = PathIn(stateDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (previous is { Number: >= 2 })
        {
            WriteVersion(PreviousPathIn(stateDirectory), previous, null);
        }
        else
        {
            File.Delete(PreviousPathIn(stateDirectory));
        }

        WriteVersion(path, version, previous?.Number);
    }

    private static void WriteVersion(string path, ModelVersion version, int? previousNumber)
    {
        string description = JsonSerializer.Serialize(new Header(version.Number, version.Since.ToString("O", CultureInfo.InvariantCulture), version.Reason, previousNumber));
        LstmModelFile.Write(path, new LstmModelContents(version.Network, LstmFeatureStatistics.Empty, description, null));
    }

    /// <summary>Removes what is kept (back on the shipped model).</summary>
    public static void Delete(string stateDirectory)
    {
        File.Delete(PathIn(stateDirectory));
        File.Delete(PreviousPathIn(stateDirectory));
    }

    /// <returns>The kept version and the number of the one a roll-back returns to (null: none); null where nothing is kept.</returns>
    /// <exception cref="ModelFileException">The file is there but does not read, or is not one this server wrote.</exception>
    public static (ModelVersion Served, int? PreviousNumber)? Read(string stateDirectory)
    {
        string path = PathIn(stateDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        var (served, header) = ReadVersion(path);
        return (served, header.Previous);
    }

    /// <summary>The version a roll-back returns to, kept beside the served one; it must be the version the served one names.</summary>
    /// <exception cref="ModelFileException">It is missing, does not read, or is another version.</exception>
    public static ModelVersion ReadPrevious(string stateDirectory, int number)
    {
        string path = PreviousPathIn(stateDirectory);
        if (!File.Exists(path))
        {
            throw new ModelFileException($"{path}: missing (the served version names version {number} for a roll-back)");
        }

        var (previous, _) = ReadVersion(path);
        return previous.Number == number ? previous : throw new ModelFileException($"{path}: holds version {previous.Number}, the served version names {number}");
    }

    private static (ModelVersion Version, Header Header) ReadVersion(string path)
    {
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

        if (header is null || header.Number < 2 || header.Previous is < 1 || header.Previous >= header.Number
            || !DateTimeOffset.TryParse(header.Since, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var since))
        {
            throw new ModelFileException($"{path}: its description is not a served version's (number, since, reason, previous)");
        }

        return (new ModelVersion(header.Number, contents.Network, since, header.Reason ?? ""), header);
    }

    private sealed record Header(int Number, string Since, string? Reason, int? Previous = null);
}
