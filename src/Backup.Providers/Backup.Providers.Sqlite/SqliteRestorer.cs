using System.Diagnostics;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Backup.Core;

namespace Backup.Providers.Sqlite;

/// <summary>
/// Restores a SQLite snapshot without ever leaving a half-written database: the content goes to a temporary file
/// in the target's directory, is fsynced and must pass PRAGMA integrity_check (on the file alone: no journal or WAL
/// file that someone else put beside it is read), and only then is renamed over the target (an atomic replace on POSIX
/// file systems).
/// </summary>
public sealed class SqliteRestorer
{
    private readonly BackupRepository _repository;
    private readonly ILogger _logger;

    /// <summary>Restores from <paramref name="repository"/>.</summary>
    public SqliteRestorer(BackupRepository repository, ILogger<SqliteRestorer>? logger = null)
    {
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Restores the snapshot named by <paramref name="snapshotIdOrPrefix"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The restored copy failed its integrity check; the target is untouched.</exception>
    public async Task<DatabaseRestoreResult> RestoreAsync(string snapshotIdOrPrefix, SqliteRestoreOptions options, CancellationToken cancellationToken = default)
    {
        var snapshot = await _repository.Snapshots.FindAsync(snapshotIdOrPrefix, cancellationToken).ConfigureAwait(false);
        return await RestoreAsync(snapshot, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restores <paramref name="snapshot"/> to <see cref="SqliteRestoreOptions.TargetPath"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The restored copy failed its integrity check; the target is untouched.</exception>
    public async Task<DatabaseRestoreResult> RestoreAsync(Snapshot snapshot, SqliteRestoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (snapshot.SourceKind != SqliteSource.KindName || !snapshot.Metadata.TryGetValue($"{SqliteSource.KindName}.entry", out var entry))
        {
            throw new ArgumentException($"Snapshot {snapshot.Id} is a '{snapshot.SourceKind}' backup, not a SQLite one.", nameof(snapshot));
        }

        if (options.Verify)
        {
            RestoreVerification.RequireChecksums(snapshot, SqliteSource.KindName, Database);
        }

        var started = Stopwatch.GetTimestamp();
        var node = await SnapshotFiles.FindAsync(_repository, snapshot, entry, cancellationToken).ConfigureAwait(false);
        await ReplaceAsync((stream, ct) => _repository.Content.CopyToAsync(node, stream, ct), options.TargetPath, options.Clean, cancellationToken).ConfigureAwait(false);
        var duration = Stopwatch.GetElapsedTime(started);
        Log.Restored(_logger, options.TargetPath, duration.TotalSeconds);
        return new DatabaseRestoreResult
        {
            SourceDatabase = entry,
            TargetDatabase = options.TargetPath,
            Duration = duration,
            Bytes = node.Size,
            Verification = options.Verify ? await RestoreVerification.AfterRestoreAsync(options.TargetPath, ct => VerifyRestoredAsync(snapshot, options, ct), cancellationToken).ConfigureAwait(false) : null,
        };
    }

    /// <summary>
    /// Compares the file a restore of <paramref name="snapshot"/> with <paramref name="options"/> made (its
    /// <see cref="SqliteRestoreOptions.TargetPath"/>) with the row counts and checksums recorded at backup time.
    /// Reads only, the file alone (no journal or WAL file beside it, as the restore left it): whatever differs, it
    /// stays as it is. What the restore's <see cref="SqliteRestoreOptions.Verify"/> runs; call it yourself to verify later, or again.
    /// </summary>
    /// <exception cref="ArgumentException">The snapshot is not a SQLite one, or recorded no checksums, so it cannot be verified.</exception>
    /// <exception cref="DatabaseRestoreException">The recorded checksums are not readable.</exception>
    public async Task<VerificationReport> VerifyRestoredAsync(Snapshot snapshot, SqliteRestoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (snapshot.SourceKind != SqliteSource.KindName)
        {
            throw new ArgumentException($"Snapshot {snapshot.Id} is a '{snapshot.SourceKind}' backup, not a SQLite one.", nameof(snapshot));
        }

        RestoreVerification.RequireChecksums(snapshot, SqliteSource.KindName, Database);
        var report = await RestoreVerification.CompareAsync(snapshot, Database, ct => CompareFileAsync(snapshot, options.TargetPath, checkIntegrity: false, ct), cancellationToken).ConfigureAwait(false);
        Log.RestoreVerified(_logger, options.TargetPath, report.TablesCompared, report.Mismatches.Count);
        return report;
    }

    /// <summary>The name SQLite snapshots record their checksums under.</summary>
    internal const string Database = "main";

    /// <summary>
    /// Compares the database file at <paramref name="path"/> with the checksums <paramref name="snapshot"/> recorded
    /// (the shape <see cref="ChecksumMetadata.Compare"/> shares with the server engines' comparisons), after
    /// PRAGMA integrity_check when <paramref name="checkIntegrity"/>.
    /// </summary>
    internal static async Task<VerificationReport> CompareFileAsync(Snapshot snapshot, string path, bool checkIntegrity, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var mismatches = new List<TableMismatch>();
        var notes = new List<string>();
        var compared = 0;
        var rows = 0L;
        await using var connection = SqliteFiles.OpenFileOnly(path);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (checkIntegrity)
        {
            problems.AddRange(await SqliteChecksums.IntegrityCheckAsync(connection, cancellationToken).ConfigureAwait(false));
        }

        var (expected, unreadable) = RecordedChecksums.Of(snapshot, SqliteSource.KindName, Database);
        if (unreadable is not null)
        {
            problems.Add(unreadable);
        }
        else if (expected is null)
        {
            notes.Add("no checksums were recorded at backup time");
        }
        else
        {
            mismatches.AddRange(ChecksumMetadata.Compare(Database, expected, await SqliteChecksums.MeasureAsync(connection, cancellationToken).ConfigureAwait(false)));
            compared = expected.Count;
            rows = expected.Sum(t => t.Rows);
        }

        return new VerificationReport
        {
            SnapshotId = snapshot.Id.ToString(),
            Databases = [Database],
            TablesCompared = compared,
            RowsCompared = rows,
            Mismatches = mismatches,
            IntegrityProblems = problems,
            Notes = notes,
        };
    }

    /// <summary>Writes, checks, syncs and renames into place; on any failure the target is as it was and no temporary file is left.</summary>
    internal static async Task ReplaceAsync(Func<Stream, CancellationToken, Task> write, string targetPath, bool clean, CancellationToken cancellationToken)
    {
        var target = Path.GetFullPath(targetPath);
        if (File.Exists(target) && !clean)
        {
            throw new DatabaseRestoreException($"'{target}' exists; set Clean to replace it, or restore to another TargetPath.");
        }

        // Same directory: the rename below stays on one file system, so it is atomic.
        var temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.restore-{Guid.NewGuid():N}");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using (var file = new FileStream(temp, options))
            {
                await write(file, cancellationToken).ConfigureAwait(false);
                UnixFiles.SyncToDisk(file);
            }

            var findings = await CheckAsync(temp, cancellationToken).ConfigureAwait(false);
            if (findings.Count > 0)
            {
                throw new DatabaseRestoreException($"The restored copy failed PRAGMA integrity_check ({string.Join("; ", findings.Take(5))}); '{target}' was left untouched.");
            }

            // A stale WAL or shared-memory file of the old database would be replayed into the new one: move them
            // aside first (kept until the rename is done, so a crash in between loses nothing for good).
            var aside = new List<(string From, string To)>();
            foreach (var suffix in SqliteFiles.CompanionSuffixes)
            {
                if (File.Exists(target + suffix))
                {
                    var to = $"{target}{suffix}.replaced-{Guid.NewGuid():N}";
                    File.Move(target + suffix, to);
                    aside.Add((target + suffix, to));
                }
            }

            File.Move(temp, target, overwrite: true);
            foreach (var (_, to) in aside)
            {
                File.Delete(to);
            }
        }
        finally
        {
            SqliteFiles.DeleteWithCompanions(temp);
        }
    }

    private static async Task<List<string>> CheckAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            // The file alone: the temporary file sits in the target's directory, where others may be able to create files.
            await using var connection = SqliteFiles.OpenFileOnly(path);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await SqliteChecksums.IntegrityCheckAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            return [ex.Message];
        }
    }
}

/// <summary>Proves a SQLite snapshot: restores it to a scratch file, runs PRAGMA integrity_check and compares per-table counts and checksums with the recorded ones.</summary>
public sealed class SqliteVerifier
{
    private readonly BackupRepository _repository;

    /// <summary>Verifies snapshots of <paramref name="repository"/>.</summary>
    public SqliteVerifier(BackupRepository repository) => _repository = repository ?? throw new ArgumentNullException(nameof(repository));

    /// <summary>Verifies <paramref name="snapshot"/>, restoring into <paramref name="scratchDirectory"/> (the system temp directory when null); the scratch file is deleted afterwards.</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="scratchDirectory">Where the scratch copy goes.</param>
    /// <param name="afterRestore">Runs on the scratch file's path before the comparison (application checks; tests tamper here).</param>
    /// <param name="cancellationToken">Stops the verification.</param>
    public async Task<VerificationReport> VerifyAsync(Snapshot snapshot, string? scratchDirectory = null, Func<string, CancellationToken, Task>? afterRestore = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // A directory only this user may enter: the scratch copy holds the whole database, and with the system temp
        // directory as the default, anyone could otherwise plant files beside it.
        var directory = SqliteFiles.CreatePrivateDirectory(scratchDirectory, "backup-verify-");
        var scratch = Path.Combine(directory, "verify.db");
        var problems = new List<string>();
        var duration = TimeSpan.Zero;
        VerificationReport? compared = null;
        try
        {
            try
            {
                duration = (await new SqliteRestorer(_repository).RestoreAsync(snapshot, new SqliteRestoreOptions { TargetPath = scratch }, cancellationToken).ConfigureAwait(false)).Duration;
            }
            catch (DatabaseRestoreException ex)
            {
                problems.Add(ex.Message);
            }

            if (problems.Count == 0)
            {
                if (afterRestore is not null)
                {
                    await afterRestore(scratch, cancellationToken).ConfigureAwait(false);
                }

                compared = await SqliteRestorer.CompareFileAsync(snapshot, scratch, checkIntegrity: true, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            SqliteFiles.DeleteDirectory(directory);
        }

        return compared is null
            ? new VerificationReport { SnapshotId = snapshot.Id.ToString(), Databases = [SqliteRestorer.Database], RestoreDuration = duration, IntegrityProblems = problems }
            : compared with { RestoreDuration = duration };
    }
}
