namespace Shardcast.Host.Commands;

/// <summary>
/// A file a command will write after minutes of work: checked before the work starts, so a typo in the path is
/// refused at once instead of after the search, and written through a temporary file renamed into place, so that a
/// reader never sees half a file and an earlier file is replaced only by a whole one.
/// </summary>
internal static class OutputFile
{
    /// <summary>Why <paramref name="path"/> cannot be written (naming <paramref name="option"/>), or null if it can.</summary>
    public static string? Problem(string path, string option)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"{option} {path}: {e.Message}";
        }

        if (Directory.Exists(full))
        {
            return $"{option} {path}: is a folder; name a file in it";
        }

        string folder = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(folder))
        {
            return $"{option} {path}: the folder {folder} does not exist";
        }

        string probe = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.probe");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{option} {path}: cannot write in {folder} ({e.Message})";
        }
    }

    public static void Write(string path, Action<Stream> write)
    {
        string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = File.Create(temporary))
            {
                write(stream);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
