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

        var started = Stopwatch.GetTimestamp();
        var node = await SnapshotFiles.FindAsync(_repository, snapshot, entry, cancellationToken).ConfigureAwait(false);
        await ReplaceAsync((stream, ct) => _repository.Content.CopyToAsync(node, stream, ct), options.TargetPath, options.Overwrite, cancellationToken).ConfigureAwait(false);
        var duration = Stopwatch.GetElapsedTime(started);
        Log.Restored(_logger, options.TargetPath, duration.TotalSeconds);
        return new DatabaseRestoreResult { SourceDatabase = entry, TargetDatabase = options.TargetPath, Duration = duration, Bytes = node.Size };
    }

    /// <summary>Writes, checks, syncs and renames into place; on any failure the target is as it was and no temporary file is left.</summary>
    internal static async Task ReplaceAsync(Func<Stream, CancellationToken, Task> write, string targetPath, bool overwrite, CancellationToken cancellationToken)
    {
        var target = Path.GetFullPath(targetPath);
        if (File.Exists(target) && !overwrite)
        {
            throw new DatabaseRestoreException($"'{target}' exists; set Overwrite to replace it.");
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
        var mismatches = new List<TableMismatch>();
        var notes = new List<string>();
        var duration = TimeSpan.Zero;
        var compared = 0;
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

                await using var connection = SqliteFiles.OpenFileOnly(scratch);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                problems.AddRange(await SqliteChecksums.IntegrityCheckAsync(connection, cancellationToken).ConfigureAwait(false));
                var (expected, unreadable) = RecordedChecksums.Of(snapshot, SqliteSource.KindName, "main");
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
                    mismatches.AddRange(ChecksumMetadata.Compare("main", expected, await SqliteChecksums.MeasureAsync(connection, cancellationToken).ConfigureAwait(false)));
                    compared = expected.Count;
                }
            }
        }
        finally
        {
            SqliteFiles.DeleteDirectory(directory);
        }

        return new VerificationReport
        {
            SnapshotId = snapshot.Id.ToString(),
            Databases = ["main"],
            RestoreDuration = duration,
            TablesCompared = compared,
            Mismatches = mismatches,
            IntegrityProblems = problems,
            Notes = notes,
        };
    }
}
