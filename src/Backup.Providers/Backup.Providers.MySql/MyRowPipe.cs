using System.IO.Pipelines;

namespace Backup.Providers.MySql;

/// <summary>
/// The pipe a driver-only or parallel backup writes a table's (or a database's) rows into, and the repository's
/// chunker reads them from.
/// </summary>
internal static class MyRowPipe
{
    /// <summary>How many bytes a full pipe holds before the row reader waits for the chunker.</summary>
    public const int PauseWriterThreshold = 4 << 20;

    /// <summary>
    /// The pipe's segments: 1 MiB each, so a full pipe is 5 arrays. With 64 KiB segments a full pipe was about 64 of
    /// them, two pipes (two connections) about 130, more than the shared array pool keeps (32 per core on two cores):
    /// segments were allocated afresh, faulted in page by page and collected, 2.4% of a backup's <c>perf</c> samples.
    /// </summary>
    public const int SegmentSize = 1 << 20;

    /// <summary>The options of every rows pipe.</summary>
    public static PipeOptions Options { get; } = new(
        pauseWriterThreshold: PauseWriterThreshold,
        resumeWriterThreshold: PauseWriterThreshold / 2,
        minimumSegmentSize: SegmentSize,
        useSynchronizationContext: false);

    /// <summary>A new rows pipe.</summary>
    public static Pipe Create() => new(Options);
}
