using Backup.Core.Pipeline;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Providers.PostgreSql;

/// <summary>A named PostgreSQL source for hosted jobs: for each run, reads the password, then backs the database up with its facts recorded.</summary>
internal sealed class PostgreSqlJobSource(string name, IOptionsMonitor<PostgreSqlJobSourceOptions> options, ILoggerFactory? loggers) : IBackupJobSource
{
    public string Name { get; } = name;

    public async Task<BackupResult> BackupAsync(string jobName, BackupService service, BackupOptions runOptions, CancellationToken cancellationToken)
    {
        var settings = options.Get(Name);
        var password = await ReadPasswordAsync(settings, cancellationToken).ConfigureAwait(false);
        await using var source = new PostgreSqlSource(settings.ToSourceOptions(password), loggers?.CreateLogger<PostgreSqlSource>());
        return await service.BackupDatabaseAsync(source, runOptions, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string?> ReadPasswordAsync(PostgreSqlJobSourceOptions settings, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(settings.PasswordEnvironmentVariable))
        {
            // The message names the variable, never a value.
            return Environment.GetEnvironmentVariable(settings.PasswordEnvironmentVariable) is { Length: > 0 } password
                ? password
                : throw new InvalidOperationException($"PostgreSQL source '{Name}': environment variable {settings.PasswordEnvironmentVariable} is not set.");
        }

        if (!string.IsNullOrWhiteSpace(settings.PasswordFile))
        {
            var text = await File.ReadAllTextAsync(settings.PasswordFile, cancellationToken).ConfigureAwait(false);
            return text.TrimEnd('\r', '\n');
        }

        return null;
    }
}
