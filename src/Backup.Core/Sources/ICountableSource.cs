namespace Backup.Core.Sources;

/// <summary>
/// A source that can count what it will yield (files and their bytes) by a second, metadata-only walk, so a backup's
/// progress can show the share done and an estimate of the time left. The count runs alongside the backup and is
/// an estimate: the tree may change while it is walked.
/// </summary>
internal interface ICountableSource
{
    /// <summary>Counts the regular files and their bytes the source would yield now.</summary>
    /// <param name="cancellationToken">Stops the walk (the backup ended first).</param>
    Task<SourceTotals> CountAsync(CancellationToken cancellationToken);
}
