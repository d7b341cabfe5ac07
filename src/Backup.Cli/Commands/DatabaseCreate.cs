using Backup.Core.Pipeline;
using Backup.Providers;
using Backup.Providers.MySql;
using Backup.Providers.PostgreSql;
using Backup.Providers.Sqlite;
using Backup.Core;

namespace Backup.Cli.Commands;

/// <summary><c>backup create --postgres|--mysql|--sqlite</c>: a consistent database backup, with its per-table checksums recorded in the snapshot.</summary>
internal static class DatabaseCreate
{
    /// <summary>What the command line asked for.</summary>
    public sealed record Request(DatabaseKind Kind, string OptionName, string Value, bool AllDatabases, bool DriverOnly, FileInfo? PasswordFile);

    public static async Task<BackupResult> RunAsync(CommandContext context, Request request, BackupOptions options, ProgressRenderer progress, CancellationToken cancellationToken)
    {
        var password = request.Kind == DatabaseKind.Sqlite
            ? null
            : await new DatabasePasswordResolver(context.Console, context.Output).ResolveAsync(request.Kind, request.OptionName, request.Value, request.PasswordFile).ConfigureAwait(false);
        IDatabaseBackupSource source;
        switch (request.Kind)
        {
            case DatabaseKind.Sqlite:
                if (request.AllDatabases || request.DriverOnly)
                {
                    throw new CliUsageException("--all-databases and --driver-only apply to --postgres and --mysql only.");
                }

                var path = Path.GetFullPath(request.Value);
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"SQLite database '{path}' does not exist.", path);
                }

                source = new SqliteSource(new SqliteSourceOptions { DatabasePath = path });
                break;
            case DatabaseKind.PostgreSql:
                source = new PostgreSqlSource(Validated(new PostgreSqlSourceOptions
                {
                    ConnectionString = request.Value,
                    Password = password,
                    AllDatabases = request.AllDatabases,
                    Method = request.DriverOnly ? PostgreSqlBackupMethod.DriverOnly : PostgreSqlBackupMethod.PgDump,
                }, o => o.Validate()));
                break;
            default:
                source = new MySqlSource(Validated(new MySqlSourceOptions
                {
                    ConnectionString = request.Value,
                    Password = password,
                    AllDatabases = request.AllDatabases,
                    Method = request.DriverOnly ? MySqlBackupMethod.DriverOnly : MySqlBackupMethod.Dump,
                }, o => o.Validate()));
                break;
        }

        Backup.Core.BackupRepository repository;
        try
        {
            repository = await RepositoryOpener.OpenAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await using (repository.ConfigureAwait(false))
        {
            try
            {
                // Prepares (connects, pins the snapshot, records checksums), backs up, and disposes of the source.
                return await new BackupService(repository).BackupDatabaseAsync(source, options, progress.Enabled ? progress : null, cancellationToken).ConfigureAwait(false);
            }
            catch (BackupSourceException ex) when (password is null && request.Kind != DatabaseKind.Sqlite && LooksLikeAuthentication(ex.Message))
            {
                throw new BackupSourceException($"{ex.Message} ({DatabasePasswordResolver.MissingPasswordHint})", ex);
            }
        }
    }

    /// <summary>Options validated up front: a bad one is a usage error (its message names the setting, never the connection string's contents).</summary>
    public static T Validated<T>(T options, Action<T> validate)
    {
        try
        {
            validate(options);
            return options;
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    public static bool LooksLikeAuthentication(string message) =>
        message.Contains("password", StringComparison.OrdinalIgnoreCase) || message.Contains("Access denied", StringComparison.OrdinalIgnoreCase)
        || message.Contains("authentication", StringComparison.OrdinalIgnoreCase);
}
