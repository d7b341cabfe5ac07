namespace Backup.Providers.Sqlite;

/// <summary>Which SQLite database is backed up and how.</summary>
public sealed record SqliteSourceOptions
{
    /// <summary>The database file; it may be in use (WAL or rollback journal) while it is copied.</summary>
    public required string DatabasePath { get; init; }

    /// <summary>Where the online-backup copy is written before it is streamed; the system temp directory when null.</summary>
    public string? TempDirectory { get; init; }

    /// <summary>Record per-table row counts and checksums of the copy, so restores can be verified.</summary>
    public bool RecordChecksums { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            throw new ArgumentException("DatabasePath is required.", nameof(DatabasePath));
        }

        if (TempDirectory is not null && !Directory.Exists(TempDirectory))
        {
            throw new ArgumentException($"TempDirectory '{TempDirectory}' does not exist.", nameof(TempDirectory));
        }
    }
}

/// <summary>Where a SQLite snapshot is restored.</summary>
public sealed record SqliteRestoreOptions
{
    /// <summary>The database file to create or replace. Nothing may have it open during the restore.</summary>
    public required string TargetPath { get; init; }

    /// <summary>
    /// Replace an existing file (the whole file, once the restored copy passed its integrity check); without it an
    /// existing target is an error. The same name as the other engines' restore options and <see cref="DatabaseRestoreSettings.Clean"/>.
    /// </summary>
    public bool Clean { get; init; }

    /// <summary>The name <see cref="Clean"/> had in 1.0.0; setting either sets both.</summary>
    [Obsolete("Use Clean.")]
    public bool Overwrite
    {
        get => Clean;
        init => Clean = value;
    }

    /// <summary>
    /// After the restore, compare every table of the restored file with the row count and checksum recorded at
    /// backup time; the result's <see cref="DatabaseRestoreResult.Verification"/> says what differs, and a difference
    /// leaves the file as restored. A snapshot without recorded checksums is refused before anything is restored.
    /// See <see cref="SqliteRestorer.VerifyRestoredAsync"/>.
    /// </summary>
    public bool Verify { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TargetPath))
        {
            throw new ArgumentException("TargetPath is required.", nameof(TargetPath));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(TargetPath));
        if (directory is null || !Directory.Exists(directory))
        {
            throw new ArgumentException($"The directory of '{TargetPath}' does not exist.", nameof(TargetPath));
        }
    }
}
