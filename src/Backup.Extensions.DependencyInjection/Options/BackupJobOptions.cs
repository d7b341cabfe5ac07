using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// One named job: what it backs up (<see cref="Paths"/> or a <see cref="SourceFactory"/>), into which repository,
/// when (cron <see cref="Schedule"/> in <see cref="TimeZone"/>), at which level, with which objectives and hooks.
/// </summary>
public sealed class BackupJobOptions
{
    /// <summary>The name of the repository (in <see cref="BackupHostingOptions.Repositories"/>) the job backs up into.</summary>
    public string? Repository { get; set; }

    /// <summary>Files and directories to back up (through the registered <see cref="IBackupPathSourceFactory"/>, by default the file system); or set <see cref="Source"/>.</summary>
    public List<string> Paths { get; } = [];

    /// <summary>Exclude patterns for <see cref="Paths"/> (the file-system source's syntax).</summary>
    public List<string> Excludes { get; } = [];

    /// <summary>Whether the walk of <see cref="Paths"/> stays on the file system each path starts on.</summary>
    public bool OneFileSystem { get; set; }

    /// <summary>Builds the source of one run (a database dump, an application export…). Code only; wins over <see cref="Source"/> and <see cref="Paths"/>.</summary>
    public Func<IServiceProvider, IBackupSource>? SourceFactory { get; set; }

    /// <summary>
    /// A cron expression (5 fields, or 6 with seconds first) for the scheduler; null means the job runs only when
    /// asked (<see cref="IBackupJobRunner.RunAsync"/>).
    /// </summary>
    public string? Schedule { get; set; }

    /// <summary>The IANA (or Windows) time zone <see cref="Schedule"/> is read in; default UTC.</summary>
    public string? TimeZone { get; set; }

    /// <summary>The backup level of each run.</summary>
    public BackupLevel Level { get; set; } = BackupLevel.Incremental;

    /// <summary>Recovery point objective: the newest successful snapshot may be at most this old before the job's health check is Unhealthy.</summary>
    public TimeSpan? Rpo { get; set; }

    /// <summary>Recovery time objective: how long a restore may take (reported by restore drills).</summary>
    public TimeSpan? Rto { get; set; }

    /// <summary>How old the last successful verification may be before the job's health check is Degraded; null: verification age is not checked.</summary>
    public TimeSpan? VerificationMaxAge { get; set; }

    /// <summary>Tags written into each snapshot (the job adds "job:{name}" itself).</summary>
    public List<string> Tags { get; } = [];

    /// <summary>The hostname recorded in snapshots (default: the machine name).</summary>
    public string? Hostname { get; set; }

    /// <summary>A healthchecks.io-style URL pinged at start (<c>/start</c>), success and failure (<c>/fail</c>); null: no heartbeat.</summary>
    public Uri? HeartbeatUrl { get; set; }

    /// <summary>Hooks run before the backup (e.g. flush a database, snapshot a volume); a failing Fail hook stops the run.</summary>
    public List<BackupHookOptions> PreHooks { get; } = [];

    /// <summary>Hooks run after the backup, also after a failed one (e.g. resume a service).</summary>
    public List<BackupHookOptions> PostHooks { get; } = [];

    /// <summary>
    /// The name of a source to back up instead of <see cref="Paths"/>: a database source of
    /// <see cref="BackupHostingOptions.Sources"/> (or <see cref="BackupBuilder.AddDatabaseSource(string, Providers.IDatabaseEngine, Action{BackupDatabaseSourceOptions})"/>)
    /// or a source added with <see cref="BackupBuilder.AddSource"/>.
    /// </summary>
    public string? Source { get; set; }

    /// <summary>
    /// Retention after each complete backup, applied to this job's snapshots only (optionally followed by prune);
    /// null: no retention.
    /// </summary>
    public BackupRetentionOptions? Retention { get; set; }

    /// <summary>Verification after a backup (check, read-data subset, restore drill) and how often; null: none.</summary>
    public BackupVerificationOptions? Verification { get; set; }

    /// <summary>
    /// Names of other configured repositories each new snapshot is copied to after the backup (a backup copy job).
    /// A failed copy is reported in <see cref="BackupJobResult.Copies"/>, logs, metrics and health (Degraded) and never
    /// affects the snapshot in the primary repository.
    /// </summary>
    public List<string> CopyTo { get; } = [];

    /// <summary>
    /// A custom retention step, run after each complete backup and after <see cref="Retention"/>. Code only.
    /// </summary>
    public Func<BackupJobContext, CancellationToken, Task>? RetentionStep { get; set; }

    /// <summary>
    /// A custom verification step, run after each backup instead of <see cref="Verification"/> (set one or the other);
    /// its outcome feeds the job's health check. Code only.
    /// </summary>
    public Func<BackupJobContext, CancellationToken, Task<BackupVerificationOutcome>>? VerificationStep { get; set; }

    /// <summary>
    /// How old the last verification may be before health is Degraded: <see cref="VerificationMaxAge"/>, else for
    /// <see cref="Verification"/> its <see cref="BackupVerificationOptions.Every"/> plus the <see cref="Rpo"/> (a
    /// verification runs after a backup, so it may come one backup interval after it is due); null: not checked.
    /// </summary>
    internal TimeSpan? EffectiveVerificationMaxAge =>
        VerificationMaxAge ?? (Verification is { } verification && (verification.Every ?? TimeSpan.Zero) + (Rpo ?? TimeSpan.Zero) is var age && age > TimeSpan.Zero ? age : null);
}

/// <summary>What a job's verification step found.</summary>
public sealed record BackupVerificationOutcome
{
    /// <summary>Whether the repository (or drill) passed.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>A short summary for logs and health data (must not contain secrets).</summary>
    public string? Message { get; init; }

    /// <summary>For a restore drill, how long the restore took (recorded as backup.restore.rto).</summary>
    public TimeSpan? RestoreDuration { get; init; }
}
