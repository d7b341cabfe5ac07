using System.IO.Pipelines;
using Backup.Core.Snapshots;

namespace Backup.Core.Sources;

/// <summary>One entry of a source: its path, its metadata, and for files a way to read the content.</summary>
public sealed class SourceEntry
{
    /// <summary>The relative, '/'-separated path; its last segment is <see cref="TreeNode.Name"/> of <see cref="Metadata"/>.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// The entry as the source names it, for the problems reported about it (a file system source's absolute path, which
    /// its own reports use too); null when <see cref="Path"/> is that name.
    /// </summary>
    public string? SourcePath { get; init; }

    /// <summary>The name problems about this entry are reported under.</summary>
    internal string ReportedPath => SourcePath ?? Path;

    /// <summary>Metadata (name, type, mode, owner, times, size, link target). Content and subtree are filled in by the backup.</summary>
    public required TreeNode Metadata { get; init; }

    /// <summary>Opens the content of a file; null for other entries.</summary>
    public Func<CancellationToken, ValueTask<PipeReader>>? OpenContentAsync { get; init; }

    /// <summary>
    /// Reads the metadata again after the content was read, so a file that changed while being read is
    /// detected; null when the source cannot tell.
    /// </summary>
    public Func<CancellationToken, ValueTask<TreeNode?>>? RestatAsync { get; init; }

    /// <summary>
    /// Checks the content once it has been read to its end (a dump tool's exit code, say); throws when it is not
    /// complete and correct, and the backup then fails instead of storing a snapshot.
    /// </summary>
    public Func<CancellationToken, ValueTask>? CompleteAsync { get; init; }

    /// <summary>
    /// The content is a large machine-made text stream, such as a database dump, that the repository's compressor may
    /// encode with its fastest setting: on such text zstd level 1 stores about what levels 2 and 3 do for a third less
    /// CPU (docs/chunking.md), and a dump's backup window is bound by CPU. A repository whose compression was set for
    /// size (<c>zstd:4</c> and up) keeps its level. False by default.
    /// </summary>
    public bool PreferFastCompression { get; init; }

    /// <summary>
    /// The entry is the whole source (a <see cref="StreamSource"/>'s stream): a failure to open or read it fails the
    /// backup, with no snapshot, instead of leaving it out of a partial one as one unreadable file of a directory is.
    /// Left out, it would leave a snapshot holding nothing that passes for the stream's latest backup.
    /// </summary>
    internal bool IsWholeSource { get; init; }
}
