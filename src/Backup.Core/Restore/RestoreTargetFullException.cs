namespace Backup.Core.Restore;

/// <summary>
/// A restore stopped because its target filled up (no space left on the device, or the disk quota exceeded). What was
/// restored before stays; a file being written when it filled was removed, so no file is left looking complete that
/// is not. <see cref="NotWritten"/> lists every entry that was not written (a directory stands for everything below it).
/// </summary>
public sealed class RestoreTargetFullException : IOException
{
    private const int PathsNamed = 5;

    internal RestoreTargetFullException(string targetDirectory, bool overQuota, RestoreResult result, Exception? innerException)
        : base(Describe(targetDirectory, overQuota, result), innerException)
    {
        TargetDirectory = targetDirectory;
        OverQuota = overQuota;
        Result = result;
    }

    /// <summary>The directory restored into.</summary>
    public string TargetDirectory { get; }

    /// <summary>Whether a disk quota ran out rather than the device itself.</summary>
    public bool OverQuota { get; }

    /// <summary>What was restored before the restore stopped; its problems include every entry in <see cref="NotWritten"/>.</summary>
    public RestoreResult Result { get; }

    /// <summary>The entries that were not written, by snapshot path.</summary>
    public IReadOnlyList<RestoreProblem> NotWritten => [.. Result.Problems.Where(p => p.NotWritten)];

    private static string Describe(string targetDirectory, bool overQuota, RestoreResult result)
    {
        var notWritten = result.Problems.Where(p => p.NotWritten).Select(p => p.Path).Order(StringComparer.Ordinal).ToList();
        var named = string.Join(", ", notWritten.Take(PathsNamed).Select(p => $"'{p}'"));
        var more = notWritten.Count > PathsNamed ? $" and {notWritten.Count - PathsNamed} more" : string.Empty;
        return $"The restore target '{targetDirectory}' is full ({(overQuota ? "the disk quota is exceeded" : "no space is left on the device")}): " +
            $"the restore stopped after writing {result.Files} file(s) and {result.Bytes:N0} bytes; {notWritten.Count} entr{(notWritten.Count == 1 ? "y was" : "ies were")} not written ({named}{more}). " +
            "Files being written when it filled were removed, not left partial.";
    }
}
