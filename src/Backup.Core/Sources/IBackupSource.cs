namespace Backup.Core.Sources;

/// <summary>
/// What a backup reads: a tree of entries (directories, files, symlinks with metadata and a way to open
/// content), or a single named stream for dump-style sources.
/// </summary>
/// <remarks>
/// Entries come depth-first, each directory before its contents, and the contents of one directory together
/// (nothing outside a directory appears between its first and last descendant). Paths are relative and
/// '/'-separated. Sources stream their entries, so millions of them never need to be held in memory at once.
/// </remarks>
public interface IBackupSource
{
    /// <summary>The kind recorded in snapshots ("files", "stream", "postgresql", …).</summary>
    string Kind { get; }

    /// <summary>The paths or names the source covers, recorded in snapshots and used to find a parent snapshot.</summary>
    IReadOnlyList<string> Paths { get; }

    /// <summary>Yields the entries in the order described above.</summary>
    /// <param name="context">Where the source reports what it could not read.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default);
}
