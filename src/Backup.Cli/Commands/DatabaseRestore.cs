using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Providers;
using Backup.Providers.MySql;
using Backup.Providers.PostgreSql;
using Backup.Providers.Sqlite;
using Backup.Core;

namespace Backup.Cli.Commands;

/// <summary><c>backup restore SNAPSHOT --to-postgres|--to-mysql|--to-sqlite</c>: restores a database snapshot into a server or a file.</summary>
internal static class DatabaseRestore
{
    /// <summary>What the command line asked for.</summary>
    public sealed record Request(
        DatabaseKind Kind, string OptionName, string Value, string? TargetDatabase, string? SourceDatabase, bool Clean, IReadOnlyList<string> Tables, int Jobs, FileInfo? PasswordFile);

    /// <summary>The snapshot source kind each engine restores, and the option that restores it.</summary>
    public static (DatabaseKind Kind, string RestoreOption)? KindOf(Snapshot snapshot) => snapshot.SourceKind switch
    {
        PostgreSqlSource.KindName => (DatabaseKind.PostgreSql, "--to-postgres"),
        MySqlSource.KindName => (DatabaseKind.MySql, "--to-mysql"),
        SqliteSource.KindName => (DatabaseKind.Sqlite, "--to-sqlite"),
        _ => null,
    };

    public static async Task<DatabaseRestoreResult> RunAsync(CommandContext context, BackupRepository repository, Snapshot snapshot, Request request, CancellationToken cancellationToken)
    {
        var kind = KindOf(snapshot);
        if (kind?.Kind != request.Kind)
        {
            throw new CliUsageException(kind is null
                ? $"Snapshot {snapshot.Id.ToShortString()} is a '{snapshot.SourceKind}' backup, not a database; restore it with --target DIR."
                : $"Snapshot {snapshot.Id.ToShortString()} is a '{snapshot.SourceKind}' backup; restore it with {kind.Value.RestoreOption}.");
        }

        if (request.Tables.Count > 0 && request.Kind != DatabaseKind.PostgreSql)
        {
            throw new CliUsageException("--table works with --to-postgres only (MariaDB/MySQL and SQLite snapshots restore whole databases).");
        }

        if (request.Kind == DatabaseKind.Sqlite)
        {
            if (request.TargetDatabase is not null || request.SourceDatabase is not null || request.Jobs != 1)
            {
                throw new CliUsageException("--database, --source-database and --jobs do not apply to --to-sqlite.");
            }

            var options = DatabaseCreate.Validated(new SqliteRestoreOptions { TargetPath = Path.GetFullPath(request.Value), Overwrite = request.Clean }, o => o.Validate());
            if (File.Exists(options.TargetPath) && !request.Clean)
            {
                throw new CliUsageException($"'{options.TargetPath}' exists; give --clean to replace it.");
            }

            return await new SqliteRestorer(repository).RestoreAsync(snapshot, options, cancellationToken).ConfigureAwait(false);
        }

        var databases = request.Kind == DatabaseKind.PostgreSql ? PostgreSqlRestorer.DatabasesOf(snapshot) : MySqlRestorer.DatabasesOf(snapshot);
        if (request.SourceDatabase is null ? databases.Count > 1 : !databases.Contains(request.SourceDatabase, StringComparer.Ordinal))
        {
            throw new CliUsageException(
                $"Snapshot {snapshot.Id.ToShortString()} holds {(databases.Count == 1 ? "database" : "databases")} {string.Join(", ", databases)}: " +
                (request.SourceDatabase is null ? "pick one with --source-database NAME." : $"'{request.SourceDatabase}' is not among them."));
        }

        var password = await new DatabasePasswordResolver(context.Console, context.Output).ResolveAsync(request.Kind, request.OptionName, request.Value, request.PasswordFile).ConfigureAwait(false);
        try
        {
            if (request.Kind == DatabaseKind.PostgreSql)
            {
                var options = DatabaseCreate.Validated(new PostgreSqlRestoreOptions
                {
                    ConnectionString = request.Value,
                    Password = password,
                    TargetDatabase = request.TargetDatabase,
                    SourceDatabase = request.SourceDatabase,
                    Clean = request.Clean,
                    Tables = request.Tables,
                    Jobs = request.Jobs,
                }, o => o.Validate());
                return await new PostgreSqlRestorer(repository).RestoreAsync(snapshot, options, cancellationToken).ConfigureAwait(false);
            }

            if (request.Jobs != 1)
            {
                throw new CliUsageException("--jobs works with --to-postgres only.");
            }

            var myOptions = DatabaseCreate.Validated(new MySqlRestoreOptions
            {
                ConnectionString = request.Value,
                Password = password,
                TargetDatabase = request.TargetDatabase,
                SourceDatabase = request.SourceDatabase,
                Clean = request.Clean,
            }, o => o.Validate());
            return await new MySqlRestorer(repository).RestoreAsync(snapshot, myOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (password is null && ex is not CliUsageException && ex is not OperationCanceledException && DatabaseCreate.LooksLikeAuthentication(ex.Message))
        {
            throw new DatabaseRestoreException($"{ex.Message} ({DatabasePasswordResolver.MissingPasswordHint})", ex);
        }
    }
}
