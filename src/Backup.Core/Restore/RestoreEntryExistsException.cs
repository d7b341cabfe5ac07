namespace Backup.Core.Restore;

/// <summary>
/// A restore with <see cref="ExistingFileBehavior.Fail"/> stopped at an entry that already exists in the target;
/// entries restored before it stay. The remedy is a choice of <see cref="RestoreOptions.Existing"/>, which a tool
/// names by its own options: <see cref="Problem"/> says what is in the way without the advice.
/// </summary>
public sealed class RestoreEntryExistsException : IOException
{
    internal RestoreEntryExistsException(string path, string existing)
        : base($"'{path}' already exists as a {existing}; the restore stopped (entries restored before it stay). Restore into an empty directory, or set " +
            "RestoreOptions.Existing: Overwrite replaces what exists, OverwriteChanged only what differs from the snapshot (and resumes a restore that was stopped), " +
            "Skip leaves it alone.")
    {
        Path = path;
        Problem = $"'{path}' already exists as a {existing}";
    }

    /// <summary>The path in the target that already exists.</summary>
    public string Path { get; }

    /// <summary>What is in the way, without what to do about it ("'/srv/out/a.txt' already exists as a file").</summary>
    public string Problem { get; }
}
