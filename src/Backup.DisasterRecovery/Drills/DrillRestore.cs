using Backup.Core;
using Backup.Core.Snapshots;
using Backup.Providers;

namespace Backup.DisasterRecovery;

/// <summary>What a drill's restore step made, for a later verify step: the snapshot and where it went.</summary>
internal sealed record DrillRestore
{
    /// <summary>The repository restored from.</summary>
    public required BackupRepository Repository { get; init; }

    /// <summary>The snapshot restored.</summary>
    public required Snapshot Snapshot { get; init; }

    /// <summary>For a files job: the scratch directory restored into.</summary>
    public string? Directory { get; init; }

    /// <summary>For a files job: the paths restored (all when empty).</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>For a database job: its engine.</summary>
    public IDatabaseEngine? Engine { get; init; }

    /// <summary>For a database job: each database restored, as the restore's settings (the scratch target).</summary>
    public IReadOnlyList<DatabaseRestoreSettings> Databases { get; init; } = [];

    /// <summary>For a database job: where a test restore may go when the engine cannot compare in place.</summary>
    public DatabaseVerifySettings? VerifyScratch { get; init; }
}
