using System.Data.Common;
using System.Security.Cryptography;
using Backup.Core.Snapshots;

namespace Backup.Providers;

/// <summary>
/// The shape every server engine's test restore shares: each database of a snapshot is restored into a scratch
/// database named <c>&lt;prefix&gt;_&lt;random&gt;</c>, measured and compared with the checksums recorded at backup
/// time, checked by the engine's integrity check, and dropped again whatever happened; the report says what was
/// found. An engine supplies the restore, the connection, the measurement, the check and the drop.
/// </summary>
/// <typeparam name="TConnection">The engine's connection to a scratch database.</typeparam>
internal abstract class ScratchVerifier<TConnection>
    where TConnection : IAsyncDisposable
{
    /// <summary>The prefix the checksums were recorded under (the source kind).</summary>
    protected abstract string Kind { get; }

    /// <summary>What the note for a database without recorded checksums adds to "no checksums were recorded at backup time".</summary>
    protected virtual string NoChecksumsSuffix => string.Empty;

    /// <summary>Whether the tables are measured even without recorded checksums (when the integrity check needs their list).</summary>
    protected virtual bool AlwaysMeasure => false;

    /// <summary>Verifies <paramref name="databases"/> of <paramref name="snapshot"/>, each in its own scratch database.</summary>
    /// <exception cref="IOException">The scratch server cannot be reached.</exception>
    /// <exception cref="DbException">The scratch server refused the sign-in.</exception>
    public async Task<VerificationReport> VerifyAsync(Snapshot snapshot, IReadOnlyList<string> databases, string scratchPrefix, IEnumerable<string> notesBefore, CancellationToken cancellationToken)
    {
        // Before the loop, whose failures are findings about the snapshot: a server that is down, of another kind or
        // refuses the password is the caller's setting to fix, and nothing has been made on it that needs dropping.
        await SignInAsync(cancellationToken).ConfigureAwait(false);
        var mismatches = new List<TableMismatch>();
        var problems = new List<string>();
        var notes = new List<string>(notesBefore);
        if (await OverPrivilegedAsync(cancellationToken).ConfigureAwait(false) is { } who)
        {
            notes.Add($"{who}: whatever SQL the snapshot holds runs with that, so one written by someone else (a client that may only add snapshots) could reach your other databases; test restores need a user that may touch only the scratch databases (docs/databases.md)");
        }

        if (await ServerNoteAsync(cancellationToken).ConfigureAwait(false) is { } note)
        {
            notes.Add(note);
        }

        var duration = TimeSpan.Zero;
        var compared = 0;
        var rows = 0L;
        foreach (var database in databases)
        {
            var scratch = $"{scratchPrefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
            try
            {
                duration += (await RestoreAsync(snapshot, database, scratch, cancellationToken).ConfigureAwait(false)).Duration;

                var connection = await OpenAsync(scratch, cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    await AfterRestoreAsync(connection, database, cancellationToken).ConfigureAwait(false);
                    var (tables, tableRows) = await CompareOpenAsync(connection, snapshot, database, scratch, ComparisonScope.Drill, mismatches, problems, notes, cancellationToken).ConfigureAwait(false);
                    compared += tables;
                    rows += tableRows;
                }
            }
            catch (DatabaseRestoreException ex)
            {
                problems.Add($"{database}: restore failed: {ex.Message}");
            }
            catch (Exception ex) when (ex is DbException or NotComparableException)
            {
                // The scratch database's own settings (a connection limit, a lock) can stop the comparison.
                problems.Add($"{database}: the restored database could not be compared: {ex.Message}");
            }
            finally
            {
                if (await DropScratchAsync(scratch).ConfigureAwait(false) is { } leftover)
                {
                    problems.Add(leftover);
                }
            }
        }

        return new VerificationReport
        {
            SnapshotId = snapshot.Id.ToString(),
            Databases = databases,
            RestoreDuration = duration,
            TablesCompared = compared,
            RowsCompared = rows,
            Mismatches = mismatches,
            IntegrityProblems = problems,
            Notes = notes,
        };
    }

    /// <summary>
    /// Compares <paramref name="target"/>, already restored from <paramref name="database"/> of
    /// <paramref name="snapshot"/> (a disaster-recovery drill's scratch database), with the checksums recorded at
    /// backup time and runs the integrity check; the database is left as it is.
    /// </summary>
    public Task<VerificationReport> CompareAsync(Snapshot snapshot, string database, string target, CancellationToken cancellationToken) =>
        CompareAsync(snapshot, database, target, ComparisonScope.Drill, cancellationToken);

    /// <summary>
    /// As <see cref="CompareAsync(Snapshot, string, string, CancellationToken)"/>, over what <paramref name="scope"/>
    /// says: a restore's own verification compares only the tables it restored and runs no integrity check (which
    /// may create an extension in the database, and takes locks an application already connected would wait on).
    /// </summary>
    public async Task<VerificationReport> CompareAsync(Snapshot snapshot, string database, string target, ComparisonScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var mismatches = new List<TableMismatch>();
        var problems = new List<string>();
        var notes = new List<string>();
        (int Tables, long Rows) compared;
        try
        {
            var connection = await OpenAsync(target, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                compared = await CompareOpenAsync(connection, snapshot, database, target, scope, mismatches, problems, notes, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // The database stays for the drill's next steps; what signed in to it may not, until it is entered again.
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await ReleaseAsync(target, limit.Token).ConfigureAwait(false);
        }

        return new VerificationReport
        {
            SnapshotId = snapshot.Id.ToString(),
            Databases = [database],
            TablesCompared = compared.Tables,
            RowsCompared = compared.Rows,
            Mismatches = mismatches,
            IntegrityProblems = problems,
            Notes = notes,
        };
    }

    /// <summary>Drops <paramref name="database"/> if it exists (a scratch database another caller made).</summary>
    public Task DropDatabaseAsync(string database, CancellationToken cancellationToken) => DropAsync(database, cancellationToken);

    /// <summary>Compares one database: the tables compared and their rows as recorded.</summary>
    private async Task<(int Tables, long Rows)> CompareOpenAsync(TConnection connection, Snapshot snapshot, string database, string scratch, ComparisonScope scope, List<TableMismatch> mismatches, List<string> problems, List<string> notes, CancellationToken cancellationToken)
    {
        (int Tables, long Rows) compared = (0, 0);
        var (expected, unreadable) = RecordedChecksums.Of(snapshot, Kind, database);
        var actual = expected is not null || (AlwaysMeasure && scope.CheckIntegrity) ? await MeasureAsync(connection, scratch, cancellationToken).ConfigureAwait(false) : null;
        if (expected is not null && scope.Tables.Count > 0)
        {
            // Only what was restored: the target's other tables were not part of this restore, whatever they hold.
            var picked = await PickTablesAsync(connection, expected, scope.Tables, cancellationToken).ConfigureAwait(false);
            expected = [.. expected.Where(t => picked.Contains(t.Table))];
            actual = [.. actual!.Where(t => picked.Contains(t.Table))];
        }

        if (unreadable is not null)
        {
            problems.Add(unreadable);
        }
        else if (expected is null)
        {
            notes.Add($"{database}: no checksums were recorded at backup time{NoChecksumsSuffix}");
        }
        else
        {
            var differing = ChecksumMetadata.Compare(database, expected, actual!);
            mismatches.AddRange(scope.TargetStays ? differing.Select(m => m with { RestoredDatabase = scratch }) : differing);
            compared = (expected.Count, expected.Sum(t => t.Rows));
        }

        if (scope.CheckIntegrity)
        {
            await CheckIntegrityAsync(connection, database, scratch, actual, problems, notes, cancellationToken).ConfigureAwait(false);
        }

        return compared;
    }

    /// <summary>Signs in to the scratch server and out again; throws, naming the server and what to check, when it cannot.</summary>
    protected abstract Task SignInAsync(CancellationToken cancellationToken);

    /// <summary>What the scratch connection's user may do beyond the scratch databases ("the scratch server's user is a superuser"), or null when nothing.</summary>
    protected abstract Task<string?> OverPrivilegedAsync(CancellationToken cancellationToken);

    /// <summary>What the scratch server lets any user do that a snapshot's SQL could use against it, as a note; null when nothing.</summary>
    protected virtual Task<string?> ServerNoteAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>Restores <paramref name="database"/> of <paramref name="snapshot"/> into the new database <paramref name="scratch"/>.</summary>
    protected abstract Task<DatabaseRestoreResult> RestoreAsync(Snapshot snapshot, string database, string scratch, CancellationToken cancellationToken);

    /// <summary>Connects to <paramref name="scratch"/>.</summary>
    protected abstract Task<TConnection> OpenAsync(string scratch, CancellationToken cancellationToken);

    /// <summary>Runs the caller's hook on the restored database (application checks; tests tamper here).</summary>
    protected abstract Task AfterRestoreAsync(TConnection connection, string database, CancellationToken cancellationToken);

    /// <summary>Per-table row counts and checksums of <paramref name="scratch"/>, measured as at backup time.</summary>
    protected abstract Task<IReadOnlyList<TableChecksum>> MeasureAsync(TConnection connection, string scratch, CancellationToken cancellationToken);

    /// <summary>
    /// The names, as the checksums record them, of the tables <paramref name="names"/> (as a restore's table
    /// selection gives them) pick from <paramref name="recorded"/>, with what the restore restored along with them
    /// (a table's sequences), as found in the restored database <paramref name="connection"/> reaches: what a
    /// selective restore restored.
    /// </summary>
    /// <exception cref="NotSupportedException">The engine restores whole databases only (the default).</exception>
    /// <exception cref="NotComparableException">The tables restored cannot all be matched with the recorded ones.</exception>
    protected virtual Task<IReadOnlySet<string>> PickTablesAsync(TConnection connection, IReadOnlyList<TableChecksum> recorded, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Kind} restores whole databases only; it has no table selection to verify.");

    /// <summary>The engine's integrity check: findings go to <paramref name="problems"/>, checks that could not run to <paramref name="notes"/>.</summary>
    protected abstract Task CheckIntegrityAsync(TConnection connection, string database, string scratch, IReadOnlyList<TableChecksum>? tables, List<string> problems, List<string> notes, CancellationToken cancellationToken);

    /// <summary>Drops <paramref name="scratch"/> if it exists.</summary>
    protected abstract Task DropAsync(string scratch, CancellationToken cancellationToken);

    /// <summary>After <see cref="CompareAsync(Snapshot, string, string, ComparisonScope, CancellationToken)"/> has used the database, which stays: takes back what <see cref="OpenAsync"/> opened to reach it (a scratch user's sign-in).</summary>
    protected virtual Task ReleaseAsync(string scratch, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Drops the scratch database (and what was made for it) even when the caller's token was cancelled: a leftover
    /// copy of production data is worse than a late return. Returns what was left behind, for the report; null when nothing.
    /// </summary>
    private async Task<string?> DropScratchAsync(string scratch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await DropAsync(scratch, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // Dropped, and what was found on the way says the snapshot attacked the restore.
            return ex.Message;
        }
        catch (Exception ex) when (ex is DbException or OperationCanceledException or TimeoutException)
        {
            return $"the scratch database {scratch} (or the user made for it) could not be dropped: {ex.Message}; drop it by hand";
        }
    }
}
