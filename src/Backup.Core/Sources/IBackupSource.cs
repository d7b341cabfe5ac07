namespace Backup.Core.Sources;

/// <summary>
/// What a backup reads: a tree of entries (directories, files, symlinks with metadata and a way to open
/// content), or a single named stream for dump-style sources.
/// </summary>
/// <remarks>
/// <para>
/// Entries come depth-first, each directory before its contents, and the contents of one directory together
/// (nothing outside a directory appears between its first and last descendant). Paths are relative and
/// '/'-separated. Sources stream their entries, so millions of them never need to be held in memory at once.
/// </para>
/// <para>
/// <see cref="Pipeline.BackupService"/> owns a source for one run and drives its lifecycle: <see cref="PrepareAsync"/>,
/// then <see cref="ReadEntriesAsync"/>, then <see cref="GetSnapshotMetadataAsync"/> (recorded in the snapshot), then
/// <see cref="IAsyncDisposable.DisposeAsync"/>, which runs whether the backup succeeded or not. A source that needs
/// none of these (a directory tree, a stream) implements only <see cref="Kind"/>, <see cref="Paths"/> and
/// <see cref="ReadEntriesAsync"/>; a database source pins a consistent snapshot in <see cref="PrepareAsync"/>, reports
/// per-table checksums from <see cref="GetSnapshotMetadataAsync"/> and ends its transaction on dispose.
/// </para>
/// </remarks>
public interface IBackupSource : IAsyncDisposable
{
    /// <summary>The kind recorded in snapshots ("files", "stream", "postgresql", …).</summary>
    string Kind { get; }

    /// <summary>The paths or names the source covers, recorded in snapshots and used to find a parent snapshot.</summary>
    IReadOnlyList<string> Paths { get; }

    /// <summary>
    /// Gets ready to be read (connects, pins a consistent snapshot, measures what it should hold); called once,
    /// before anything else. A failure fails the backup as a whole, before any data is stored.
    /// </summary>
    /// <param name="cancellationToken">Stops the preparation.</param>
    Task PrepareAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Yields the entries in the order described above.</summary>
    /// <param name="context">Where the source reports what it could not read.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default);

    /// <summary>
    /// Facts recorded in the snapshot's metadata (a server version, per-table row counts and checksums, …); asked
    /// for once every entry has been read. The caller's <see cref="Pipeline.BackupOptions.Metadata"/> wins on a clash.
    /// </summary>
    /// <param name="cancellationToken">Stops the call.</param>
    Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty);

    /// <summary>Releases what the source holds (a pinned snapshot, a connection, running tools); by default it disposes of an <see cref="IDisposable"/> source and otherwise does nothing.</summary>
    ValueTask IAsyncDisposable.DisposeAsync()
    {
        (this as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
