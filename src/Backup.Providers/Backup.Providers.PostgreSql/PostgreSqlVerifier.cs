using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Microsoft.Extensions.Logging;
using Npgsql;
using Backup.Core;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// Proves a PostgreSQL snapshot: restores each database into a scratch database the library creates (and drops
/// afterwards), compares per-table row counts and checksums with those recorded at backup time, checks every
/// btree index with amcheck where the extension is available, and measures the restore time (the achieved RTO).
/// </summary>
public sealed class PostgreSqlVerifier
{
    private readonly BackupRepository _repository;
    private readonly ILogger<PostgreSqlRestorer>? _logger;

    /// <summary>Verifies snapshots of <paramref name="repository"/>.</summary>
    public PostgreSqlVerifier(BackupRepository repository, ILogger<PostgreSqlRestorer>? logger = null)
    {
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _logger = logger;
    }

    /// <summary>Verifies the snapshot named by <paramref name="snapshotIdOrPrefix"/>.</summary>
    public async Task<VerificationReport> VerifyAsync(string snapshotIdOrPrefix, PostgreSqlVerifyOptions options, CancellationToken cancellationToken = default)
    {
        var snapshot = await _repository.Snapshots.FindAsync(snapshotIdOrPrefix, cancellationToken).ConfigureAwait(false);
        return await VerifyAsync(snapshot, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Verifies <paramref name="snapshot"/>; a failed restore, a mismatching table or an amcheck finding makes the report fail.</summary>
    /// <exception cref="DatabaseRestoreException">The snapshot's list of databases is damaged, so there is nothing to restore and compare.</exception>
    /// <exception cref="IOException">The scratch server cannot be reached, or is not a PostgreSQL server.</exception>
    /// <exception cref="NpgsqlException">The scratch server refused the sign-in.</exception>
    public Task<VerificationReport> VerifyAsync(Snapshot snapshot, PostgreSqlVerifyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        var databases = PostgreSqlRestorer.DatabasesOf(snapshot);
        var notes = snapshot.Metadata.GetValueOrDefault($"{PostgreSqlSource.KindName}.globals") == "globals.sql"
            ? new[] { "globals (roles, tablespaces) are not restored into the scratch server" }
            : [];
        return new Scratch(new PgServer(options), new PostgreSqlRestorer(_repository, _logger), options, ChecksumKindOf(snapshot), PgTableKey.IsLegacy(snapshot.Metadata))
            .VerifyAsync(snapshot, databases, options.ScratchDatabasePrefix, notes, cancellationToken);
    }

    /// <summary>Compares the database <paramref name="target"/>, restored from <paramref name="database"/> of <paramref name="snapshot"/>, with the recorded checksums and runs amcheck; it stays.</summary>
    internal static Task<VerificationReport> CompareAsync(Snapshot snapshot, string database, string target, PostgreSqlVerifyOptions options, CancellationToken cancellationToken) =>
        new Scratch(new PgServer(options), null, options, ChecksumKindOf(snapshot), PgTableKey.IsLegacy(snapshot.Metadata)).CompareAsync(snapshot, database, target, cancellationToken);

    /// <summary>
    /// Compares the database <paramref name="target"/>, restored from <paramref name="database"/> of <paramref name="snapshot"/>
    /// by a restore with <paramref name="restored"/>, with the recorded checksums: only the tables it restored, no amcheck
    /// (its extension would be created in the database), as the restoring role.
    /// </summary>
    internal static Task<VerificationReport> CompareRestoredAsync(Snapshot snapshot, string database, string target, PostgreSqlRestoreOptions restored, CancellationToken cancellationToken)
    {
        var options = new PostgreSqlVerifyOptions
        {
            ConnectionString = restored.ConnectionString,
            Password = restored.Password,
            ClientToolsDirectory = restored.ClientToolsDirectory,
            RunAmcheck = false,
            UseScratchRole = restored.UseScratchRole,
        };
        return new Scratch(new PgServer(options), null, options, ChecksumKindOf(snapshot), PgTableKey.IsLegacy(snapshot.Metadata))
            .CompareAsync(snapshot, database, target, ComparisonScope.Restored(restored.Tables), cancellationToken);
    }

    /// <summary>Drops <paramref name="database"/> (WITH (FORCE)) if it exists.</summary>
    internal static Task DropAsync(string database, PostgreSqlVerifyOptions options, CancellationToken cancellationToken) =>
        new Scratch(new PgServer(options), null, options, null, legacyNames: false).DropDatabaseAsync(database, cancellationToken);

    /// <summary>How the snapshot's checksums were taken: from COPY streams (<see cref="CopyChecksum.Kind"/>), or, when not recorded (every older snapshot), as SQL text (<see cref="PgChecksums"/>).</summary>
    private static string? ChecksumKindOf(Snapshot snapshot) => snapshot.Metadata.GetValueOrDefault($"{PostgreSqlSource.KindName}.checksum_kind");

    /// <summary>
    /// PostgreSQL's part of a test restore: pg_restore into the scratch database, PgChecksums, amcheck, DROP … WITH (FORCE).
    /// <paramref name="legacyNames"/>: the snapshot names its checksums' relations as versions before <see cref="PgTableKey"/> did.
    /// </summary>
    private sealed class Scratch(PgServer server, PostgreSqlRestorer? restorer, PostgreSqlVerifyOptions options, string? checksumKind, bool legacyNames) : ScratchVerifier<NpgsqlConnection>
    {
        // The password each scratch role was last given here, in its stored form (see PgScratchRole.LockAsync).
        private readonly Dictionary<string, string> _verifiers = new(StringComparer.Ordinal);

        protected override string Kind => PostgreSqlSource.KindName;

        protected override string NoChecksumsSuffix => "; only the restore and amcheck were tested";

        protected override Task SignInAsync(CancellationToken cancellationToken) => server.SignInAsync(cancellationToken);

        protected override Task<DatabaseRestoreResult> RestoreAsync(Snapshot snapshot, string database, string scratch, CancellationToken cancellationToken) =>
            restorer!.RestoreAsync(snapshot, new PostgreSqlRestoreOptions
            {
                ConnectionString = options.ConnectionString,
                Password = options.Password,
                ClientToolsDirectory = options.ClientToolsDirectory,
                SourceDatabase = database,
                TargetDatabase = scratch,
                Jobs = options.Jobs,
                NoOwner = true,
                UseScratchRole = options.UseScratchRole,
            }, cancellationToken);

        /// <summary>
        /// A scratch database restored by a scratch role is entered as that role, never as the superuser: PostgreSQL
        /// resolves operators, casts and functions when a query runs, so the role's objects (an operator for
        /// <c>name || name</c>, a cast of a table's row type to text) would run inside the superuser's queries.
        /// </summary>
        protected override async Task<NpgsqlConnection> OpenAsync(string scratch, CancellationToken cancellationToken)
        {
            string? password = null;
            await using (var admin = await server.OpenAsync("postgres", cancellationToken).ConfigureAwait(false))
            {
                if (await PgScratchRole.ExistsAsync(admin, scratch, cancellationToken).ConfigureAwait(false))
                {
                    (password, _verifiers[scratch]) = await PgScratchRole.UnlockAsync(admin, scratch, cancellationToken).ConfigureAwait(false);
                }
            }

            return password is null
                ? await server.OpenAsync(scratch, untrusted: true, cancellationToken).ConfigureAwait(false)
                : await server.As(scratch, password).OpenAsync(scratch, untrusted: true, cancellationToken).ConfigureAwait(false);
        }

        protected override async Task ReleaseAsync(string scratch, CancellationToken cancellationToken)
        {
            await using var admin = await server.OpenAsync("postgres", cancellationToken).ConfigureAwait(false);
            if (await PgScratchRole.ExistsAsync(admin, scratch, cancellationToken).ConfigureAwait(false))
            {
                var untouched = await PgScratchRole.LockAsync(admin, scratch, _verifiers.GetValueOrDefault(scratch), cancellationToken).ConfigureAwait(false);
                _verifiers.Remove(scratch);
                if (!untouched)
                {
                    throw new NotComparableException(PgScratchRole.PasswordChanged(scratch));
                }
            }
        }

        protected override async Task<string?> OverPrivilegedAsync(CancellationToken cancellationToken)
        {
            if (options.UseScratchRole)
            {
                // A superuser restores through a scratch role; any other role is what the note is about, and is not one.
                return null;
            }

            await using var connection = await server.OpenAsync("postgres", cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", connection);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true ? "the scratch server's role is a superuser" : null;
        }

        protected override Task AfterRestoreAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken) =>
            options.AfterRestore?.Invoke(connection, database, cancellationToken) ?? Task.CompletedTask;

        protected override async Task<IReadOnlyList<TableChecksum>> MeasureAsync(NpgsqlConnection connection, string scratch, CancellationToken cancellationToken) => checksumKind switch
        {
            null => await PgChecksums.MeasureAsync(connection, tables: true, legacyNames, cancellationToken).ConfigureAwait(false),
            CopyChecksum.Kind => await CopyChecksums.MeasureAsync(connection, legacyNames, cancellationToken).ConfigureAwait(false),
            _ => throw new DatabaseRestoreException($"The snapshot's checksums are of an unknown kind '{checksumKind}'; a newer version of this library wrote it."),
        };

        /// <summary>
        /// The tables a selective restore picked, by the rule it picked them with (<see cref="PgTableSelection.Match"/>),
        /// and the sequences they own (serial and identity columns), which it restored with their values. Which
        /// sequences a table owns is not recorded with the checksums, so the restored database says: the restore made
        /// them owned as the snapshot had them.
        /// </summary>
        protected override async Task<IReadOnlySet<string>> PickTablesAsync(NpgsqlConnection connection, IReadOnlyList<TableChecksum> recorded, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
        {
            var tables = recorded.Where(t => !PgTableKey.IsSequence(t.Table) && PgTableKey.Parse(t.Table) is not null)
                .Select(t => (Key: t.Table, Name: PgTableKey.Parse(t.Table)!.Value)).ToList();
            List<(string Key, (string Schema, string Name) Name)> picked;
            try
            {
                picked = [.. PgTableSelection.Match(names, tables, t => t.Name)];
            }
            catch (DatabaseRestoreException ex)
            {
                throw new NotComparableException($"the tables restored cannot all be matched with the checksums recorded at backup time ({ex.Message.Replace(" Nothing was restored.", string.Empty, StringComparison.Ordinal)})", ex);
            }

            var keys = picked.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
            var recordedKeys = recorded.Select(t => t.Table).ToHashSet(StringComparer.Ordinal);
            foreach (var (schema, name) in await PgOwnedSequences.OfAsync(connection, picked.Select(t => t.Name), cancellationToken).ConfigureAwait(false))
            {
                var key = PgTableKey.Sequence(schema, name, legacyNames);
                if (recordedKeys.Contains(key))
                {
                    keys.Add(key);
                }
            }

            return keys;
        }

        protected override Task CheckIntegrityAsync(NpgsqlConnection connection, string database, string scratch, IReadOnlyList<TableChecksum>? tables, List<string> problems, List<string> notes, CancellationToken cancellationToken) =>
            options.RunAmcheck ? AmcheckAsync(connection, database, problems, notes, cancellationToken) : Task.CompletedTask;

        protected override async Task DropAsync(string scratch, CancellationToken cancellationToken)
        {
            await PgScratchRole.DropAsync(server, scratch, _verifiers.GetValueOrDefault(scratch), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task AmcheckAsync(NpgsqlConnection connection, string database, List<string> problems, List<string> notes, CancellationToken cancellationToken)
    {
        try
        {
            await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS amcheck", connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            notes.Add($"{database}: amcheck is not available ({ex.MessageText}); indexes were not checked");
            return;
        }

        // A database that had amcheck brings it back in its own schema (often public), which this session's
        // search_path (pg_catalog only) does not reach: the function is named with the extension's schema.
        string function;
        await using (var schema = new NpgsqlCommand("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'", connection))
        {
            function = $"{PgServer.QuoteIdentifier((string)(await schema.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)}.bt_index_check";
        }

        var indexes = new List<(uint Oid, string Name)>();
        await using (var list = new NpgsqlCommand("""
            SELECT c.oid, n.nspname || '.' || c.relname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
            WHERE am.amname = 'btree' AND c.relkind = 'i' AND c.relpersistence <> 't' AND i.indisready AND i.indisvalid
            ORDER BY 2
            """, connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                indexes.Add((reader.GetFieldValue<uint>(0), reader.GetString(1)));
            }
        }

        foreach (var (oid, name) in indexes)
        {
            try
            {
                await using var check = new NpgsqlCommand($"SELECT {function}($1::oid::regclass)", connection) { Parameters = { new() { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid } }, CommandTimeout = 0 };
                await check.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                problems.Add($"{database}: index {name}: {ex.MessageText}");
            }
        }
    }
}
