namespace Backup.DisasterRecovery;

/// <summary>
/// Restores a snapshot of a job. In a recovery it restores into <see cref="Directory"/> (files) or the database at
/// <see cref="ConnectionString"/>; in a drill always into a scratch directory or a scratch database (see
/// <see cref="RecoveryPlan.Scratch"/>), removed after the drill.
/// </summary>
public sealed class RestoreStep
{
    /// <summary>The job whose snapshot is restored (a name in <see cref="RecoveryPlan.Backup"/>'s Jobs). Required.</summary>
    public string? Job { get; set; }

    /// <summary>The snapshot: "latest" (the job's newest complete snapshot, the default) or an ID prefix.</summary>
    public string Snapshot { get; set; } = "latest";

    /// <summary>The repository to restore from (default: the job's; name a copy to recover from off site).</summary>
    public string? Repository { get; set; }

    /// <summary>For a files job: where a recovery restores to.</summary>
    public string? Directory { get; set; }

    /// <summary>For a files job: the paths within the snapshot to restore (default: all).</summary>
    public List<string> Paths { get; } = [];

    /// <summary>For a database job: the server a recovery restores into, without a password.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>For a database job: a file whose first line is the password of <see cref="ConnectionString"/>.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>For a database job: an environment variable holding the password of <see cref="ConnectionString"/>.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>For a database job: the database to restore into (default: the one backed up).</summary>
    public string? Database { get; set; }
}
