using Backup.Core;
using Backup.Core.Pipeline;
using Backup.Core.Sources;
using Backup.Providers;

namespace Backup.Cli.Commands;

/// <summary><c>backup create --postgres|--mysql|--sqlite</c>: a consistent database backup, with its per-table checksums recorded in the snapshot.</summary>
internal static class DatabaseCreate
{
    /// <summary>What the command line asked for.</summary>
    public sealed record Request(CliDatabaseEngine Engine, string Value, bool AllDatabases, bool DriverOnly, FileInfo? PasswordFile)
    {
        public string OptionName => Engine.BackupOption;
    }

    public static async Task<BackupResult> RunAsync(CommandContext context, Request request, BackupOptions options, ProgressRenderer progress, CancellationToken cancellationToken)
    {
        var engine = request.Engine.Engine;
        if ((request.AllDatabases && !engine.SupportsAllDatabases) || (request.DriverOnly && !engine.SupportsDriverOnly))
        {
            throw new CliUsageException($"--all-databases and --driver-only apply to {DatabaseEngines.Join(DatabaseEngines.All.Where(e => e.Engine.SupportsAllDatabases || e.Engine.SupportsDriverOnly).Select(e => e.BackupOption))} only.");
        }

        var location = request.Value;
        if (request.Engine.IsFile)
        {
            location = Path.GetFullPath(location);
            if (!File.Exists(location))
            {
                throw new FileNotFoundException($"{engine.DisplayName} database '{location}' does not exist.", location);
            }
        }

        var passwords = new DatabasePasswordResolver(context.Console, context.Output);
        var password = request.Engine.IsFile
            ? null
            : await passwords.ResolveAsync(engine, request.OptionName, request.Value, request.PasswordFile).ConfigureAwait(false);
        var source = Validated(() => engine.CreateSource(new DatabaseBackupSettings
        {
            Location = location,
            Password = password,
            AllDatabases = request.AllDatabases,
            DriverOnly = request.DriverOnly,
        }));

        Backup.Core.BackupRepository repository;
        try
        {
            repository = await RepositoryOpener.OpenAsync(context, writes: true, cancellationToken).ConfigureAwait(false);
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
                return await new BackupService(repository).BackupAsync(source, options, progress.Enabled ? progress : null, cancellationToken).ConfigureAwait(false);
            }
            catch (BackupSourceException ex) when (!request.Engine.IsFile && passwords.SignInAdvice(ex, password, engine, request.Value) is { Length: > 0 } advice)
            {
                throw new BackupSourceException(ex.Message + advice, ex);
            }
        }
    }

    /// <summary>
    /// Settings checked up front: a bad one is a usage error (its message names the setting, never the connection
    /// string's contents); <paramref name="optionOf"/> gives the command line's own words for a setting it has an option for.
    /// </summary>
    public static T Validated<T>(Func<T> create, Func<ArgumentException, string?>? optionOf = null)
    {
        try
        {
            return create();
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(optionOf?.Invoke(ex) ?? ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    public static bool LooksLikeAuthentication(string message) =>
        message.Contains("password", StringComparison.OrdinalIgnoreCase) || message.Contains("Access denied", StringComparison.OrdinalIgnoreCase)
        || message.Contains("authentication", StringComparison.OrdinalIgnoreCase);
}
