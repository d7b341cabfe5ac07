using Backup.Core.Pipeline;
using Backup.Core.Sources;

namespace Backup.Providers;

/// <summary>
/// A database as a backup source. Before its entries are read it is prepared: it connects, pins a consistent
/// snapshot of the database, and measures what the snapshot should hold (server version, per-table row counts
/// and checksums). Those facts must be in the snapshot's metadata, which <see cref="BackupService"/> takes from
/// <see cref="BackupOptions.Metadata"/> — so use <see cref="DatabaseBackup.BackupDatabaseAsync"/>, which does both.
/// </summary>
public interface IDatabaseBackupSource : IBackupSource, IAsyncDisposable
{
    /// <summary>Connects, pins the snapshot the dump will read, and returns the facts to record; idempotent.</summary>
    /// <param name="cancellationToken">Stops the preparation.</param>
    Task<IReadOnlyDictionary<string, string>> PrepareAsync(CancellationToken cancellationToken = default);
}

/// <summary>Runs a database backup with its facts recorded in the snapshot.</summary>
public static class DatabaseBackup
{
    /// <summary>
    /// Prepares <paramref name="source"/>, merges its facts into <paramref name="options"/>' metadata (the caller's
    /// entries win on a clash), backs it up, and disposes of the source's pinned snapshot.
    /// </summary>
    /// <exception cref="BackupSourceException">The dump failed: no snapshot was written.</exception>
    public static async Task<BackupResult> BackupDatabaseAsync(this BackupService service, IDatabaseBackupSource source, BackupOptions? options = null, IProgress<BackupProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new BackupOptions();
        options.Validate();
        try
        {
            var facts = await PrepareOrThrowAsync(source, cancellationToken).ConfigureAwait(false);

            var metadata = new Dictionary<string, string>(facts, StringComparer.Ordinal);
            foreach (var (key, value) in options.Metadata ?? new Dictionary<string, string>())
            {
                metadata[key] = value;
            }

            return await service.BackupAsync(source, options with { Metadata = metadata }, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Prepares <paramref name="source"/>; a failure (connection refused, bad password, missing database, missing
    /// tools) becomes <see cref="BackupSourceException"/>: the source failed as a whole. Sources call this from
    /// their ReadEntriesAsync too, so a plain <see cref="BackupService.BackupAsync"/> fails the same way.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> PrepareOrThrowAsync(IDatabaseBackupSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return await source.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not BackupSourceException and not ArgumentException)
        {
            throw new BackupSourceException($"{source.Kind} backup could not start: {ex.Message}", ex);
        }
    }
}
