using System.IO.Abstractions;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Backup.Core.Native;
using Backup.Core.Snapshots;

namespace Backup.Core.Sources.FileSystem;

/// <summary>
/// Backs up files and directories. The snapshot mirrors each path's absolute location without the leading '/'
/// (backing up /tmp/x yields "tmp", "tmp/x", then its contents), and several paths merge into one tree.
/// The tree is read directory by directory, so only the directories being walked are held in memory.
/// </summary>
/// <remarks>
/// Regular files, directories, symlinks (as links, unless <see cref="FileSystemSourceOptions.FollowSymlinks"/>),
/// and special files (metadata only) are recorded with mode, owner, ns times, inode, device and link count.
/// Whatever cannot be read is reported through <see cref="SourceContext.ReportProblem"/> by absolute path, and
/// the walk goes on.
/// </remarks>
public sealed class FileSystemSource : IBackupSource, ICountableSource
{
    private static readonly EnumerationOptions ListAll = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
        MatchType = MatchType.Simple,
    };

    private readonly IFileSystem _fileSystem;
    private readonly FileSystemSourceOptions _options;
    private readonly FileMetadataReader _metadata;
    private readonly ExcludeMatcher _excludes;

    /// <summary>Backs up <paramref name="paths"/>.</summary>
    /// <param name="paths">Files or directories; relative paths are taken from the current directory.</param>
    /// <param name="options">Excludes and walking options.</param>
    /// <param name="fileSystem">The file system to read; the real one when null.</param>
    /// <exception cref="ArgumentException">No path was given, or one is empty.</exception>
    public FileSystemSource(IEnumerable<string> paths, FileSystemSourceOptions? options = null, IFileSystem? fileSystem = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        _fileSystem = fileSystem ?? new System.IO.Abstractions.FileSystem();
        _options = options ?? new FileSystemSourceOptions();
        _excludes = new ExcludeMatcher(_options.Excludes);
        var native = UnixNative.IsSupported && _fileSystem.GetType() == typeof(System.IO.Abstractions.FileSystem);
        _metadata = new FileMetadataReader(_fileSystem, native);

        var normalised = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("A path to back up is empty.", nameof(paths));
            }

            var full = _fileSystem.Path.GetFullPath(path).Replace('\\', '/');
            var trimmed = full.TrimEnd('/');
            normalised.Add(trimmed.Length == 0 ? "/" : trimmed);
        }

        if (normalised.Count == 0)
        {
            throw new ArgumentException("Give at least one path to back up.", nameof(paths));
        }

        Paths = [.. normalised];
    }

    /// <inheritdoc />
    public string Kind => "files";

    /// <inheritdoc />
    /// <remarks>The normalised absolute paths, sorted ordinal.</remarks>
    public IReadOnlyList<string> Paths { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Fails when none of the paths exists (a disk not mounted, a share gone): a snapshot of nothing is no backup.
    /// One missing path among others only makes the snapshot partial.
    /// </remarks>
    /// <exception cref="IOException">None of the paths exists (the backup reports it as its source failing as a whole).</exception>
    Task IBackupSource.PrepareAsync(CancellationToken cancellationToken)
    {
        if (Paths.All(path => _metadata.Read(path, path == "/" ? string.Empty : LastSegment(path), follow: false, out _) is null))
        {
            throw new IOException($"none of the paths to back up exists ({string.Join(", ", Paths.Select(p => $"'{p}'"))}), so nothing was read and no snapshot was written");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>The walk is synchronous file-system work that may take minutes: it gets its own thread rather than holding a pool thread the backup needs.</remarks>
    Task<SourceTotals> ICountableSource.CountAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(
            () => new FileSystemTreeCounter(_fileSystem, _metadata, _excludes, _options).Count(Paths, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        await Task.CompletedTask.ConfigureAwait(false);
        var root = SourcePathSet.Build(Paths);
        if (root.Selected)
        {
            foreach (var entry in WalkSelected("/", string.Empty, context, cancellationToken))
            {
                yield return entry;
            }

            yield break;
        }

        foreach (var entry in WalkPrefix(root, string.Empty, context, cancellationToken))
        {
            yield return entry;
        }
    }

    /// <summary>The directories leading to the backed-up paths: recorded with their own metadata, but only the selected children are read.</summary>
    private IEnumerable<SourceEntry> WalkPrefix(SourcePathSet node, string relative, SourceContext context, CancellationToken cancellationToken)
    {
        foreach (var child in node.Children.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var childRelative = Join(relative, child.Name);
            if (child.Selected)
            {
                foreach (var entry in WalkSelected(child.AbsolutePath, childRelative, context, cancellationToken))
                {
                    yield return entry;
                }

                continue;
            }

            // The leading directories are followed even when they are links (like /var/run), since what the user named lies beyond them.
            var metadata = _metadata.ReadWithAttributes(child.AbsolutePath, child.Name, follow: true, out var error, out var incomplete);
            if (metadata is null || metadata.Type != NodeType.Directory)
            {
                context.ReportProblem(child.AbsolutePath, error ?? (metadata is null ? "does not exist" : "is not a directory"));
                continue;
            }

            ReportIncomplete(child.AbsolutePath, incomplete, context);

            yield return new SourceEntry { Path = childRelative, SourcePath = child.AbsolutePath, Metadata = metadata with { Size = 0 } };
            foreach (var entry in WalkPrefix(child, childRelative, context, cancellationToken))
            {
                yield return entry;
            }
        }
    }

    /// <summary>One backed-up path and, for a directory, everything below it, depth-first with siblings sorted ordinal.</summary>
    private IEnumerable<SourceEntry> WalkSelected(string absolute, string relative, SourceContext context, CancellationToken cancellationToken)
    {
        TreeNode? top;
        if (relative.Length == 0)
        {
            top = _metadata.Read("/", string.Empty, follow: true, out _) ?? new TreeNode { Name = string.Empty, Type = NodeType.Directory };
        }
        else
        {
            top = _metadata.ReadWithAttributes(absolute, LastSegment(relative), _options.FollowSymlinks, out var error, out var incomplete);
            if (top is null)
            {
                context.ReportProblem(absolute, error ?? "does not exist");
                yield break;
            }

            ReportIncomplete(absolute, incomplete, context);

            yield return ToEntry(absolute, relative, top);
        }

        if (top.Type != NodeType.Directory || ListNames(absolute, context) is not { } names)
        {
            yield break;
        }

        var stack = new Stack<Frame>();
        var ancestors = new HashSet<(ulong, ulong)>();
        stack.Push(new Frame(absolute, relative, string.Empty, ((IEnumerable<string>)names).GetEnumerator(), (top.Device, top.Inode)));
        ancestors.Add((top.Device, top.Inode));
        var rootDevice = top.Device;
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var frame = stack.Peek();
            if (!frame.Names.MoveNext())
            {
                stack.Pop();
                ancestors.Remove(frame.Identity);
                continue;
            }

            var name = frame.Names.Current;
            var childAbsolute = frame.Absolute == "/" ? "/" + name : frame.Absolute + "/" + name;
            var childRelative = Join(frame.Relative, name);
            var childUnderRoot = Join(frame.UnderRoot, name);
            var metadata = _metadata.ReadWithAttributes(childAbsolute, name, _options.FollowSymlinks, out var error, out var incomplete);
            if (metadata is null)
            {
                // An excluded name is none of the backup's business, whatever went wrong reading it: excluding a file is
                // how one whose name is not UTF-8 is left out when it cannot be renamed. Its type is not known, so a
                // pattern for directories counts too.
                if (!_excludes.IsEmpty && (_excludes.IsExcluded(childUnderRoot, isDirectory: false) || _excludes.IsExcluded(childUnderRoot, isDirectory: true)))
                {
                    continue;
                }

                // .NET reads names as UTF-8 and puts U+FFFD where the bytes are not: such a name is not the file's,
                // so the file is not found under it. Said as it is, with what to do, rather than as a vanished file.
                context.ReportProblem(childAbsolute, error ?? (name.Contains('\uFFFD', StringComparison.Ordinal)
                    ? "its name is not valid UTF-8, which this version cannot store: not backed up (rename it, for example with convmv, to back it up, or exclude it)"
                    : "vanished while the directory was read"));
                continue;
            }

            ReportIncomplete(childAbsolute, incomplete, context);

            if (!_excludes.IsEmpty && _excludes.IsExcluded(childUnderRoot, metadata.Type == NodeType.Directory))
            {
                continue;
            }

            yield return ToEntry(childAbsolute, childRelative, metadata);
            if (metadata.Type != NodeType.Directory)
            {
                continue;
            }

            if (_options.OneFileSystem && metadata.Device != rootDevice)
            {
                continue;
            }

            var identity = (metadata.Device, metadata.Inode);
            var known = metadata.Inode != 0;
            if (known && ancestors.Contains(identity))
            {
                context.ReportProblem(childAbsolute, "symlink loop: the directory is one of its own ancestors; its contents were not read again");
                continue;
            }

            if (ListNames(childAbsolute, context) is { } childNames)
            {
                stack.Push(new Frame(childAbsolute, childRelative, childUnderRoot, ((IEnumerable<string>)childNames).GetEnumerator(), known ? identity : (0, 0)));
                if (known)
                {
                    ancestors.Add(identity);
                }
            }
        }
    }

    /// <summary>An entry whose extended attributes could not be read is still backed up; the snapshot lists what is missing.</summary>
    private static void ReportIncomplete(string absolute, string? incomplete, SourceContext context)
    {
        if (incomplete is not null)
        {
            context.ReportProblem(absolute, incomplete);
        }
    }

    private List<string>? ListNames(string absolute, SourceContext context)
    {
        try
        {
            var names = new List<string>();
            foreach (var path in _fileSystem.Directory.EnumerateFileSystemEntries(absolute, "*", ListAll))
            {
                names.Add(_fileSystem.Path.GetFileName(path));
            }

            names.Sort(StringComparer.Ordinal);
            return names;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.ReportProblem(absolute, $"cannot list the directory: {ex.Message}");
            return null;
        }
    }

    private SourceEntry ToEntry(string absolute, string relative, TreeNode metadata)
    {
        if (metadata.Type != NodeType.File)
        {
            return new SourceEntry { Path = relative, SourcePath = absolute, Metadata = metadata };
        }

        var follow = _options.FollowSymlinks;
        var name = metadata.Name;
        return new SourceEntry
        {
            Path = relative,
            SourcePath = absolute,
            Metadata = metadata,
            OpenContentAsync = ct => OpenAsync(absolute, metadata, ct),
            RestatAsync = ct =>
            {
                ct.ThrowIfCancellationRequested();
                return ValueTask.FromResult(_metadata.Read(absolute, name, follow, out _));
            },
        };
    }

    private ValueTask<PipeReader> OpenAsync(string absolute, TreeNode metadata, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Unbuffered: the pipe reads in 256 KiB+ blocks, so a FileStream buffer would only add a copy.
        Stream stream = _metadata.IsNative
            ? new FileStream(OpenRecorded(absolute, metadata), FileAccess.Read, bufferSize: 0)
            : (Stream)_fileSystem.FileStream.New(absolute, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return ValueTask.FromResult(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 20, minimumReadSize: 1 << 18)));
    }

    /// <summary>
    /// Opens the very file whose metadata was recorded. Between that stat and this open, the path may have been swapped
    /// for a symlink to a file the backup must not read, or for a FIFO that would block forever: the open neither follows
    /// a final symlink (unless symlinks are followed) nor waits, and what it opened must be the same regular file.
    /// </summary>
    /// <exception cref="IOException">The path no longer names that file.</exception>
    private SafeFileHandle OpenRecorded(string absolute, TreeNode metadata)
    {
        var follow = _options.FollowSymlinks;
        var handle = UnixNative.OpenContent(absolute, follow, out var errno);
        if (handle is null)
        {
            throw errno switch
            {
                ELOOP when !follow => new IOException("became a symlink after its metadata was read; not read, so nothing outside the backed-up paths is"),
                EACCES or EPERM => new UnauthorizedAccessException(UnixNative.Describe(errno)),
                _ => new IOException(UnixNative.Describe(errno)),
            };
        }

        var opened = UnixNative.Stat(handle);
        string? problem = opened switch
        {
            null => "its metadata could not be read after opening it",
            { FileType: not UnixStat.Regular } => "is no longer a regular file (it was replaced after its metadata was read); not read",
            _ when opened.Value.Device != metadata.Device || opened.Value.Inode != metadata.Inode => "was replaced by another file after its metadata was read; not read",
            _ => null,
        };
        if (problem is not null)
        {
            handle.Dispose();
            throw new IOException(problem);
        }

        return handle;
    }

    private const int EPERM = 1;
    private const int EACCES = 13;
    private const int ELOOP = 40;

    private static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;

    private static string LastSegment(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>A directory being read: its paths and the names not yet visited.</summary>
    private sealed record Frame(string Absolute, string Relative, string UnderRoot, IEnumerator<string> Names, (ulong, ulong) Identity);
}
