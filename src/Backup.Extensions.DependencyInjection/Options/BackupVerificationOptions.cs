namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A job's verification after a backup: a repository check (optionally reading a share of the stored data) and/or a
/// restore drill of the snapshot just taken, either after every backup or when the last verification is older than
/// <see cref="Every"/>. Each run is recorded in the job's state and feeds its health check (Degraded when the last
/// verification failed or is older than the policy allows) and, for drills, the <c>backup.restore.rto</c> metric.
/// Bound from configuration (<c>Backup:Jobs:{job}:Verification</c>) or set in code; validated at start-up.
/// </summary>
public sealed class BackupVerificationOptions
{
    /// <summary>
    /// How often to verify: after a backup, verification runs when the last one is older than this (or failed).
    /// Null (the default): after each backup.
    /// </summary>
    public TimeSpan? Every { get; set; }

    /// <summary>Check the repository's structure (configuration, keys, indexes, pack headers, every snapshot's tree). Default true.</summary>
    public bool Check { get; set; } = true;

    /// <summary>
    /// Also download and verify a share of the packs: "5%", "0.1", "1/10" or a size such as "500M" (see the Core's
    /// ReadDataSubset; fractions rotate daily so repeated runs cover every pack). Implies the structure check. Null: none.
    /// </summary>
    public string? ReadDataSubset { get; set; }

    /// <summary>
    /// Restore the snapshot just taken into scratch space, compare it, and record how long it took (the achieved RTO).
    /// Files are compared file by file; a database source (<see cref="BackupHostingOptions.Sources"/>) is restored by
    /// its engine into a scratch database on <see cref="ScratchConnectionString"/> (or a scratch file for SQLite),
    /// compared table by table with the checksums recorded at backup time, checked, and dropped afterwards.
    /// </summary>
    public bool RestoreDrill { get; set; }

    /// <summary>Where restore drills create their scratch directory or SQLite scratch file (deleted afterwards); the temp directory when null.</summary>
    public string? ScratchDirectory { get; set; }

    /// <summary>
    /// For a database source on a server: the connection string (without a password) of a server where the drill may
    /// create and drop a scratch database; required for such a job's restore drill.
    /// </summary>
    public string? ScratchConnectionString { get; set; }

    /// <summary>A file whose first line is the password of <see cref="ScratchConnectionString"/>.</summary>
    public string? ScratchPasswordFile { get; set; }

    /// <summary>The environment variable holding the password of <see cref="ScratchConnectionString"/>.</summary>
    public string? ScratchPasswordEnvironmentVariable { get; set; }

    /// <summary>Whether the settings verify anything at all.</summary>
    internal bool VerifiesSomething => Check || ReadDataSubset is not null || RestoreDrill;
}
