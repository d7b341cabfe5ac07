using System.Text.Json;
using System.Text.Json.Serialization;
using Backup.Core.Maintenance;
using Backup.Core.Retention;
using Backup.Core.Snapshots;
using Backup.Core.Verification;

namespace Backup.Cli;

/// <summary>The JSON printed with --json: camelCase, source-generated; kinds and levels are lowercase strings.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InitOutput))]
[JsonSerializable(typeof(SnapshotOutput))]
[JsonSerializable(typeof(List<SnapshotOutput>))]
[JsonSerializable(typeof(CreateOutput))]
[JsonSerializable(typeof(List<KeyOutput>))]
[JsonSerializable(typeof(KeyChangeOutput))]
[JsonSerializable(typeof(RepositoryStatsOutput))]
[JsonSerializable(typeof(SnapshotStatsOutput))]
[JsonSerializable(typeof(RestoreOutput))]
[JsonSerializable(typeof(List<EntryOutput>))]
[JsonSerializable(typeof(DiffOutput))]
[JsonSerializable(typeof(ForgetOutput))]
[JsonSerializable(typeof(PruneOutput))]
[JsonSerializable(typeof(CheckOutput))]
[JsonSerializable(typeof(Commands.DrValidateOutput))]
[JsonSerializable(typeof(RepairOutput))]
[JsonSerializable(typeof(VerifyOutput))]
[JsonSerializable(typeof(DatabaseRestoreOutput))]
[JsonSerializable(typeof(RoleCheckOutput))]
[JsonSerializable(typeof(DatabaseVerifyOutput))]
[JsonSerializable(typeof(List<PinOutput>))]
[JsonSerializable(typeof(UnlockOutput))]
[JsonSerializable(typeof(Commands.RetentionExtendOutput))]
[JsonSerializable(typeof(List<Commands.DrJobRunOutput>))]
internal sealed partial class CliJson : JsonSerializerContext;

internal sealed record InitOutput(string RepositoryId, string Location, string Compression, string KeyId);

internal sealed record ProblemOutput(string Path, string Reason);

internal sealed record StatisticsOutput(
    long Files, long Directories, long FilesRead, long TotalBytes, long BytesRead, long BlobsAdded, long BytesAdded, long BytesStored, long Errors, double DurationSeconds)
{
    public static StatisticsOutput From(SnapshotStatistics s) =>
        new(s.Files, s.Directories, s.FilesRead, s.TotalBytes, s.BytesRead, s.BlobsAdded, s.BytesAdded, s.BytesStored, s.Errors, s.Duration.TotalSeconds);
}

internal sealed record SnapshotOutput(
    string Id, string ShortId, DateTimeOffset Time, string Hostname, string? Username, IReadOnlyList<string> Tags, string SourceKind,
    IReadOnlyList<string> Paths, string Level, string? Parent, string Tree, bool Partial, bool Pinned, IReadOnlyList<string> Problems,
    StatisticsOutput Statistics)
{
    public static SnapshotOutput From(Snapshot s) => new(
        s.Id.ToString(), s.Id.ToShortString(), s.Time, s.Hostname, s.Username, s.Tags, s.SourceKind, s.Paths, s.Level.ToString().ToLowerInvariant(),
        s.Parent?.ToString(), s.Tree.ToString(), s.Partial, s.Pinned, s.Problems, StatisticsOutput.From(s.Statistics));
}

internal sealed record PinOutput(string PreviousId, string Id, bool Pinned, bool Changed);

/// <summary>What 'backup unlock' removed: <c>scope</c> is "stale" or "all" (--remove-all).</summary>
internal sealed record UnlockOutput(string Scope, int Count, IReadOnlyList<RemovedLockOutput> Removed);

/// <summary>One removed lock; <c>staleReason</c> is null for a live lock removed with --remove-all.</summary>
internal sealed record RemovedLockOutput(
    string Key, bool Exclusive, string? Purpose, string? Hostname, int ProcessId, DateTimeOffset? Taken, DateTimeOffset Expires, bool Stale, string? StaleReason)
{
    public static RemovedLockOutput From(Backup.Core.Repository.RepositoryLockInfo held) =>
        new(held.Key, held.IsExclusive, held.Purpose, held.Hostname, held.ProcessId, held.Taken, held.Expires, held.StaleReason is not null, held.StaleReason);
}

internal sealed record CreateOutput(SnapshotOutput Snapshot, IReadOnlyList<ProblemOutput> Problems);

internal sealed record KeyOutput(string Id, DateTimeOffset Created, string? Hostname, string? Username, string? Label, string Algorithm, bool Current, string? Invalid);

internal sealed record KeyChangeOutput(string Action, string? KeyId);

internal sealed record RepositoryStatsOutput(
    string RepositoryId, string Location, DateTimeOffset Created, string Compression, int Snapshots, int Keys, int Packs, long PackBytes,
    int IndexObjects, long IndexBytes, int Blobs, long TotalBytes);

internal sealed record SnapshotStatsOutput(string SnapshotId, StatisticsOutput Statistics);

internal sealed record RestoreOutput(string SnapshotId, string Target, long Files, long OtherEntries, long Directories, long Bytes, long Skipped, double DurationSeconds, long? Verified, IReadOnlyList<ProblemOutput> Problems);

internal sealed record EntryOutput(string Path, string Type, long Size, string Mode, DateTimeOffset Mtime, string? LinkTarget);

internal sealed record DiffChangeOutput(string Change, string Path, string Type, long OldSize, long NewSize);

internal sealed record DiffOutput(string Snapshot1, string Snapshot2, int Added, int Removed, int Modified, IReadOnlyList<DiffChangeOutput> Changes);

internal sealed record ForgetDecisionOutput(string Id, string ShortId, DateTimeOffset Time, string Action, IReadOnlyList<string> Reasons);

internal sealed record ForgetGroupOutput(
    string Key, string? Hostname, string? SourceKind, IReadOnlyList<string>? Paths, IReadOnlyList<string>? Tags, IReadOnlyList<ForgetDecisionOutput> Decisions)
{
    public static ForgetGroupOutput From(RetentionGroup group) => new(
        group.Key.ToString(), group.Key.Hostname, group.Key.SourceKind, group.Key.Paths, group.Key.Tags,
        [.. group.Decisions.Select(d => new ForgetDecisionOutput(
            d.Snapshot.Id.ToString(), d.Snapshot.Id.ToShortString(), d.Snapshot.Time, d.IsKept ? "keep" : "remove", d.Reasons))]);
}

internal sealed record ForgetOutput(
    bool DryRun, string Policy, DateTimeOffset EvaluatedAt, int Kept, int Removed, int Deleted, IReadOnlyList<ForgetGroupOutput> Groups,
    IReadOnlyList<string> Problems, PruneOutput? Prune, IReadOnlyList<LockedOutput> Locked);

/// <summary>An object the storage refused to delete under a retention lock.</summary>
internal sealed record LockedOutput(string Key, DateTimeOffset? RetainUntil)
{
    public static LockedOutput From(Backup.Core.Storage.LockedObject l) => new(l.Key, l.RetainUntil);
}

internal sealed record PruneOutput(
    bool DryRun, int Snapshots, long BytesBefore, long BytesAfter, long BytesFreed, int PacksBefore, int PacksRemoved, int PacksRewritten,
    int PacksWritten, long BlobsRemoved, long BlobsKept, int IndexesReplaced, int UnindexedPacksKept, long UnusedBytesKept, double DurationSeconds, IReadOnlyList<LockedOutput> Locked)
{
    public static PruneOutput From(PruneResult r) => new(
        r.DryRun, r.Snapshots, r.BytesBefore, r.BytesAfter, r.BytesFreed, r.PacksBefore, r.PacksRemoved, r.PacksRewritten, r.PacksWritten,
        r.BlobsRemoved, r.BlobsKept, r.IndexesReplaced, r.UnindexedPacksKept, r.UnusedBytesKept, r.Duration.TotalSeconds, [.. r.Locked.Select(LockedOutput.From)]);
}

internal sealed record CheckProblemOutput(string Severity, string Kind, string Object, string Message)
{
    public static CheckProblemOutput From(CheckProblem p) =>
        new(p.Severity.ToString().ToLowerInvariant(), p.Kind.ToString(), p.Object, p.Message);
}

internal sealed record CheckOutput(
    bool Success, long Snapshots, long Trees, long DataBlobs, long Indexes, long Packs, long PacksRead, long BlobsRead, long BytesRead,
    int Errors, int Warnings, IReadOnlyList<CheckProblemOutput> Problems, double DurationSeconds);

internal sealed record RepairOutput(
    string Action, bool DryRun, bool NothingToDo, int PacksIndexed, int PacksRemoved, long BlobsSalvaged, long BlobsLost, int IndexesReplaced,
    int SnapshotsRewritten, int SnapshotsRemoved, IReadOnlyList<string> Dropped, double DurationSeconds)
{
    public static RepairOutput From(string action, RepairResult r) => new(
        action, r.DryRun, r.NothingToDo, r.PacksIndexed, r.PacksRemoved, r.BlobsSalvaged, r.BlobsLost, r.IndexesReplaced,
        r.SnapshotsRewritten, r.SnapshotsRemoved, r.Dropped, r.Duration.TotalSeconds);
}

internal sealed record VerifyOutput(
    bool Success, string SnapshotId, DateTimeOffset SnapshotTime, long Files, long Directories, long Bytes, double DurationSeconds,
    double BytesPerSecond, IReadOnlyList<ProblemOutput> Problems);

internal sealed record DatabaseRestoreOutput(string SnapshotId, string SourceKind, string SourceDatabase, string Target, long Bytes, double DurationSeconds, DatabaseRestoreVerificationOutput? Verification);

/// <summary>
/// What 'backup restore --to-… --verify' found: null without --verify. <c>mismatches</c> holds the lines stderr
/// prints after <c>table differs: </c>, <c>differences</c> the same tables as fields.
/// </summary>
internal sealed record DatabaseRestoreVerificationOutput(bool Success, int TablesCompared, long RowsCompared, IReadOnlyList<string> Mismatches, IReadOnlyList<string> Problems, IReadOnlyList<TableDifferenceOutput> Differences)
{
    public static DatabaseRestoreVerificationOutput? Of(Backup.Providers.VerificationReport? report) => report is null
        ? null
        : new(report.Succeeded, report.TablesCompared, report.RowsCompared, [.. report.Mismatches.Select(m => m.ToString())], report.IntegrityProblems, TableDifferenceOutput.Of(report));
}

/// <summary>
/// A table that differs from what was recorded at backup time: <c>database</c> and <c>table</c> name it where it can be
/// looked at (the restored database), <c>sourceDatabase</c> the snapshot's database it was compared with; <c>kind</c> is
/// <c>missing</c>, <c>notInSnapshot</c>, <c>rowCount</c> or <c>contents</c>; a row count or checksum is null on the side
/// the table is not on; <c>message</c> is the line stderr prints.
/// </summary>
internal sealed record TableDifferenceOutput(
    string Database, string SourceDatabase, string Table, string Kind, long? ExpectedRows, long? FoundRows, string? ExpectedChecksum, string? FoundChecksum, string Message)
{
    public static IReadOnlyList<TableDifferenceOutput> Of(Backup.Providers.VerificationReport report) => [.. report.Mismatches.Select(m => new TableDifferenceOutput(
        m.RestoredDatabase ?? m.Database, m.Database, m.Table, JsonNamingPolicy.CamelCase.ConvertName(m.Kind.ToString()), m.ExpectedRows, m.ActualRows, m.ExpectedChecksum, m.ActualChecksum, m.ToString()))];
}

/// <summary>What 'backup restore --to-postgres|--to-mysql CONN --check-roles' found: <c>known</c> is false for a snapshot from before roles (accounts) were recorded.</summary>
internal sealed record RoleCheckOutput(string SnapshotId, string Database, bool Known, IReadOnlyList<string> Needed, IReadOnlyList<string> Missing, string? Advice);

/// <summary>What 'backup verify SNAPSHOT --scratch' found: <c>mismatches</c> holds the lines stderr prints after <c>table differs: </c>, <c>differences</c> the same tables as fields.</summary>
internal sealed record DatabaseVerifyOutput(
    bool Success, string SnapshotId, string SourceKind, IReadOnlyList<string> Databases, double RestoreDurationSeconds, int TablesCompared,
    IReadOnlyList<string> Mismatches, IReadOnlyList<string> IntegrityProblems, IReadOnlyList<string> Notes, long RowsCompared, IReadOnlyList<TableDifferenceOutput> Differences);
