namespace Backup.DisasterRecovery;

/// <summary>One copy of a system's data, as the 3-2-1-1-0 rule counts copies.</summary>
public sealed class RecoveryCopy
{
    /// <summary>The repository (a name in <see cref="RecoveryPlan.Backup"/>'s Repositories). Required.</summary>
    public string? Repository { get; set; }

    /// <summary>Whether it is in another place than the systems it protects (another site, region or provider).</summary>
    public bool OffSite { get; set; }

    /// <summary>
    /// Whether it cannot be deleted or changed by the machines that write it (object lock, immutability policy, an
    /// append-only server). Null: derived from the repository's settings (a retention lock, append-only mode).
    /// </summary>
    public bool? Immutable { get; set; }

    /// <summary>The kind of storage ("disk", "object-storage", "tape"…). Null: derived from the location's scheme (a directory or sftp: disk; s3, azure: object storage).</summary>
    public string? Media { get; set; }
}
