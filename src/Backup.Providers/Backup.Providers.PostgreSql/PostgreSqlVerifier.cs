using System.Security.Cryptography;
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
    public async Task<VerificationReport> VerifyAsync(Snapshot snapshot, PostgreSqlVerifyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        var server = new PgServer(options);
        var databases = PostgreSqlRestorer.DatabasesOf(snapshot);
        var restorer = new PostgreSqlRestorer(_repository, _logger);
        var mismatches = new List<TableMismatch>();
        var problems = new List<string>();
        var notes = new List<string>();
        var duration = TimeSpan.Zero;
        var compared = 0;
        if (snapshot.Metadata.GetValueOrDefault($"{PostgreSqlSource.KindName}.globals") == "globals.sql")
        {
            notes.Add("globals (roles, tablespaces) are not restored into the scratch server");
        }

        foreach (var database in databases)
        {
            var scratch = $"{options.ScratchDatabasePrefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
            try
            {
                var restored = await restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions
                {
                    ConnectionString = options.ConnectionString,
                    Password = options.Password,
                    ClientToolsDirectory = options.ClientToolsDirectory,
                    SourceDatabase = database,
                    TargetDatabase = scratch,
                    Jobs = options.Jobs,
                    NoOwner = true,
                }, cancellationToken).ConfigureAwait(false);
                duration += restored.Duration;

                await using var connection = await server.OpenAsync(scratch, cancellationToken).ConfigureAwait(false);
                if (options.AfterRestore is { } hook)
                {
                    await hook(connection, database, cancellationToken).ConfigureAwait(false);
                }

                var expected = ChecksumMetadata.Read(snapshot.Metadata, PostgreSqlSource.KindName, database);
                if (expected is null)
                {
                    notes.Add($"{database}: no checksums were recorded at backup time; only the restore and amcheck were tested");
                }
                else
                {
                    var actual = await PgChecksums.MeasureAsync(connection, cancellationToken).ConfigureAwait(false);
                    mismatches.AddRange(ChecksumMetadata.Compare(database, expected, actual));
                    compared += expected.Count;
                }

                if (options.RunAmcheck)
                {
                    await AmcheckAsync(connection, database, problems, notes, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (DatabaseRestoreException ex)
            {
                problems.Add($"{database}: restore failed: {ex.Message}");
            }
            finally
            {
                await DropAsync(server, scratch).ConfigureAwait(false);
            }
        }

        return new VerificationReport
        {
            SnapshotId = snapshot.Id.ToString(),
            Databases = databases,
            RestoreDuration = duration,
            TablesCompared = compared,
            Mismatches = mismatches,
            IntegrityProblems = problems,
            Notes = notes,
        };
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

        var indexes = new List<(uint Oid, string Name)>();
        await using (var list = new NpgsqlCommand("""
            SELECT c.oid, n.nspname || '.' || c.relname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
            WHERE am.amname = 'btree' AND c.relpersistence <> 't' AND i.indisready AND i.indisvalid
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
                await using var check = new NpgsqlCommand("SELECT bt_index_check($1::oid::regclass)", connection) { Parameters = { new() { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid } }, CommandTimeout = 0 };
                await check.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                problems.Add($"{database}: index {name}: {ex.MessageText}");
            }
        }
    }

    /// <summary>Drops the scratch database even when the caller's token was cancelled: a leftover copy of production data is worse than a late return.</summary>
    private static async Task DropAsync(PgServer server, string scratch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await using var admin = await server.OpenAsync("postgres", timeout.Token).ConfigureAwait(false);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {PgServer.QuoteIdentifier(scratch)} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // Nothing more to do here; the database name says what it is.
        }
    }
}
