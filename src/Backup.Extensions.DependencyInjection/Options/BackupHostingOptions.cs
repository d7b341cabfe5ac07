namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Everything <c>AddBackup</c> configures: named repositories, named jobs and the scheduler. Bound from the
/// configuration section given to <see cref="BackupBuilder.BindConfiguration(Microsoft.Extensions.Configuration.IConfiguration)"/>
/// (by convention "Backup") and from code; validated when first built and, with a host, at start-up.
/// </summary>
public sealed class BackupHostingOptions
{
    /// <summary>Repositories by name (case-insensitive).</summary>
    public Dictionary<string, BackupRepositoryOptions> Repositories { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Database sources by name (case-insensitive), backed up by jobs that name them in <see cref="BackupJobOptions.Source"/>.</summary>
    public Dictionary<string, BackupDatabaseSourceOptions> Sources { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Jobs by name (case-insensitive).</summary>
    public Dictionary<string, BackupJobOptions> Jobs { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How the optional scheduler runs jobs.</summary>
    public BackupSchedulerOptions Scheduler { get; set; } = new();

    /// <summary>How heartbeat (dead-man's switch) pings are sent.</summary>
    public HeartbeatOptions Heartbeat { get; set; } = new();

    /// <summary>Alerts on job outcomes: webhooks, Slack or Teams, email (section <c>Alerts</c>).</summary>
    public BackupAlertOptions Alerts { get; set; } = new();

    /// <summary>
    /// The configuration path that validation messages start with ("Backup" by default), so that an error names
    /// the setting to fix, e.g. "Backup:Jobs:nightly:Schedule".
    /// </summary>
    public string SectionPath { get; set; } = "Backup";
}

/// <summary>How the scheduler started by <c>AddBackupScheduler</c> runs jobs.</summary>
public sealed class BackupSchedulerOptions
{
    /// <summary>
    /// The largest random delay added to each scheduled run, so that many hosts sharing one schedule do not hit
    /// the same storage at the same second. Zero (the default) disables jitter.
    /// </summary>
    public TimeSpan MaxJitter { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Whether a job whose newest successful snapshot is older than its last scheduled occurrence runs once at
    /// start-up (catching up after downtime). Never more than one catch-up run per job, however many were missed.
    /// </summary>
    public bool RunMissedOnStartup { get; set; } = true;

    /// <summary>Whether the scheduler runs at all (lets one configuration serve hosts that only restore).</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>How heartbeat pings (healthchecks.io-style: <c>{url}/start</c>, <c>{url}</c>, <c>{url}/fail</c>) are sent.</summary>
public sealed class HeartbeatOptions
{
    /// <summary>How long one ping may take before it is abandoned (a slow monitor never delays a backup).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether to POST (with a short plain-text body) instead of GET.</summary>
    public bool UsePost { get; set; }
}
