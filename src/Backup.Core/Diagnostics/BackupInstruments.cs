using System.Diagnostics.Metrics;

namespace Backup.Core.Diagnostics;

/// <summary>The instruments of the services (names lowercase and dotted; the hosting package adds its job-level ones to the same meter).</summary>
internal sealed class BackupInstruments(Meter meter)
{
    public Histogram<double> OperationDuration { get; } = meter.CreateHistogram<double>("backup.operation.duration", "s", "Duration of a backup, restore, check, drill, prune, forget or repair, by operation and outcome.");

    public Counter<long> BackupBytesRead { get; } = meter.CreateCounter<long>("backup.bytes.read", "By", "Bytes read from sources.");

    public Counter<long> BackupBytesStored { get; } = meter.CreateCounter<long>("backup.bytes.stored", "By", "Bytes written to the repository after compression and encryption.");

    public Counter<long> BackupBytesDeduplicated { get; } = meter.CreateCounter<long>("backup.bytes.deduplicated", "By", "Source bytes that were already in the repository and not stored again.");

    public Counter<long> BackupFiles { get; } = meter.CreateCounter<long>("backup.files", "{file}", "Files backed up.");

    public Counter<long> BackupProblems { get; } = meter.CreateCounter<long>("backup.problems", "{entry}", "Entries a backup could not (completely) read.");

    public Counter<long> RestoreFiles { get; } = meter.CreateCounter<long>("restore.files", "{file}", "Regular files restored (hard links included).");

    public Counter<long> RestoreBytesWritten { get; } = meter.CreateCounter<long>("restore.bytes.written", "By", "Content bytes written by restores.");

    public Counter<long> RestoreProblems { get; } = meter.CreateCounter<long>("restore.problems", "{entry}", "Entries a restore could not (completely) restore.");

    public Counter<long> CheckProblems { get; } = meter.CreateCounter<long>("check.problems", "{problem}", "Problems found by checks, by severity.");

    public Counter<long> CheckBytesRead { get; } = meter.CreateCounter<long>("check.bytes.read", "By", "Pack bytes downloaded by checks to verify data.");

    public Counter<long> DrillFiles { get; } = meter.CreateCounter<long>("drill.files", "{file}", "Files restored and compared by restore drills.");

    public Counter<long> DrillProblems { get; } = meter.CreateCounter<long>("drill.problems", "{file}", "Files a restore drill could not restore exactly.");

    public Counter<long> PrunePacksDeleted { get; } = meter.CreateCounter<long>("prune.packs.deleted", "{pack}", "Packs deleted (or rewritten) by prune.");

    public Counter<long> PruneBytesFreed { get; } = meter.CreateCounter<long>("prune.bytes.freed", "By", "Repository bytes freed by prune.");

    public Counter<long> ForgetSnapshots { get; } = meter.CreateCounter<long>("forget.snapshots", "{snapshot}", "Snapshots forgotten by retention.");
}
