namespace Backup.DisasterRecovery;

/// <summary>
/// Verifies what an earlier restore step restored: for a database, every table's row count and checksum against the
/// ones recorded at backup time; for files, every restored file's content against the snapshot.
/// </summary>
public sealed class VerifyStep
{
    /// <summary>The name of the earlier restore step in the same system. Required.</summary>
    public string? Restore { get; set; }
}
