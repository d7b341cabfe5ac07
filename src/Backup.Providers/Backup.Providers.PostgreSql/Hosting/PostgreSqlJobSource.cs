using Backup.Core.Sources;
using Microsoft.Extensions.Logging;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A named PostgreSQL source of hosted jobs, one per run: preparing reads the password (from the variable or file the
/// settings name) and prepares the <see cref="PostgreSqlSource"/> it then stands for.
/// </summary>
internal sealed class PostgreSqlJobSource(string name, PostgreSqlJobSourceOptions settings, ILoggerFactory? loggers) : IBackupSource
{
    private PostgreSqlSource? _source;

    public string Kind => PostgreSqlSource.KindName;

    public IReadOnlyList<string> Paths => Prepared.Paths;

    private PostgreSqlSource Prepared => _source ?? throw new InvalidOperationException($"PostgreSQL source '{name}' is used before it was prepared.");

    public async Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        if (_source is null)
        {
            var password = await ReadPasswordAsync(cancellationToken).ConfigureAwait(false);
            _source = new PostgreSqlSource(settings.ToSourceOptions(password), loggers?.CreateLogger<PostgreSqlSource>());
        }

        await _source.PrepareAsync(cancellationToken).ConfigureAwait(false);
    }

    public IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default) => Prepared.ReadEntriesAsync(context, cancellationToken);

    public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default) => Prepared.GetSnapshotMetadataAsync(cancellationToken);

    public ValueTask DisposeAsync() => _source?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task<string?> ReadPasswordAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(settings.PasswordEnvironmentVariable))
        {
            // The message names the variable, never a value.
            return Environment.GetEnvironmentVariable(settings.PasswordEnvironmentVariable) is { Length: > 0 } password
                ? password
                : throw new InvalidOperationException($"PostgreSQL source '{name}': environment variable {settings.PasswordEnvironmentVariable} is not set.");
        }

        if (!string.IsNullOrWhiteSpace(settings.PasswordFile))
        {
            return await Backup.Core.Crypto.SecretFile.ReadAsync(settings.PasswordFile, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }
}
