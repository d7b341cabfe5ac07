using System.Collections.Concurrent;
using System.IO.Abstractions;
using Backup.Core.Native;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;

namespace Backup.Core.Restore;

/// <summary>
/// Restores a snapshot (or parts of it) into a directory: contents verified chunk by chunk, empty directories,
/// symlinks, hard links, special files, permissions, owners (as root) and modification times, with holes
/// recreated in sparse files.
/// </summary>
/// <remarks>
/// The snapshot is walked one directory at a time while up to <see cref="RestoreOptions.Parallelism"/> files are
/// written at once, so memory stays bounded. A new file is created exclusively under its own name; one that replaces
/// an existing entry is written under a temporary name and renamed over it, so the old one stays whole until the new
/// one is. A file whose restore fails or is cancelled is removed again, never left partial. Nothing is written
/// outside the target: unsafe names (empty, ".", "..", containing '/' or NUL) and duplicate names are refused,
/// and links already in the target are never followed. A directory's mode and time are applied after its contents.
/// Files of identical content (16 KiB or more, not sparse) are decoded once: the later ones are copied inside the kernel
/// from the first (shared extents where the file system can reflink), unless that first copy is no longer the same,
/// unchanged inode that only those who may write the later file could have written; then they are decoded too.
/// </remarks>
public sealed class RestoreService
{
    private readonly BackupRepository _repository;
    private readonly IFileSystem _fileSystem;
    private readonly bool _native;

    /// <summary>Restores from <paramref name="repository"/> into <paramref name="fileSystem"/> (the real one when null).</summary>
    public RestoreService(BackupRepository repository, IFileSystem? fileSystem = null)
    {
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _fileSystem = fileSystem ?? new System.IO.Abstractions.FileSystem();
        _native = UnixNative.IsSupported && _fileSystem.GetType() == typeof(System.IO.Abstractions.FileSystem);
    }

    /// <summary>Restores <paramref name="snapshot"/> into <paramref name="targetDirectory"/> (created when missing).</summary>
    /// <returns>Counts, and every entry that was not (completely) restored.</returns>
    /// <exception cref="IOException">An entry exists and <see cref="RestoreOptions.Existing"/> is <see cref="ExistingFileBehavior.Fail"/>, the target cannot be created, or the lock cannot be written.</exception>
    /// <exception cref="RepositoryCorruptException">The snapshot's root tree is missing or damaged.</exception>
    /// <exception cref="RepositoryLockedException">Prune or repair holds the repository.</exception>
    public async Task<RestoreResult> RestoreAsync(Snapshot snapshot, string targetDirectory, RestoreOptions? options = null, IProgress<RestoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        options ??= new RestoreOptions();
        options.Validate();
        var root = _fileSystem.Path.GetFullPath(targetDirectory);
        if (root.Length > 1)
        {
            root = root.TrimEnd('/');
        }

        await using var repositoryLock = options.Lock ? await AcquireLockAsync(cancellationToken).ConfigureAwait(false) : null;

        // The index may predate a prune that repacked what this snapshot needs (a long-lived repository): under the
        // lock none can start, so refreshed now it stays right for the whole restore.
        await _repository.RefreshIndexAsync(cancellationToken).ConfigureAwait(false);
        _fileSystem.Directory.CreateDirectory(root);
        var target = new RestoreTarget(_fileSystem, _native, options.RestoreOwnership && UnixNative.IsRoot && _native);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var run = new Run(_repository, target, options, progress, stop.Token);
        var includes = options.Include.Select(p => p.Split('/', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var rootTree = await _repository.LoadTreeAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
        var frames = new Stack<Frame>();
        frames.Push(new Frame(string.Empty, root, [], null, rootTree.Nodes, includes.Count == 0 || includes.Any(i => i.Length == 0), created: false));
        Task? rootWork = null;
        try
        {
            while (frames.Count > 0)
            {
                stop.Token.ThrowIfCancellationRequested();
                var frame = frames.Peek();
                if (!frame.Children.MoveNext())
                {
                    frames.Pop();
                    var finished = Task.WhenAll(frame.Work);
                    if (frame.Node is null)
                    {
                        rootWork = finished;
                    }
                    else
                    {
                        frames.Peek().Work.Add(run.FinishDirectoryAsync(finished, frame.Absolute, frame.Relative, frame.Node));
                    }

                    continue;
                }

                var node = frame.Children.Current;
                if (!NodeNames.IsSafe(node.Name))
                {
                    run.Problem(SnapshotWalker.Join(frame.Relative, (node.Name ?? string.Empty).Replace("\0", "\\0", StringComparison.Ordinal)), NodeNames.Describe(node.Name));
                    continue;
                }

                var relative = SnapshotWalker.Join(frame.Relative, node.Name);
                if (!frame.Seen.Add(node.Name))
                {
                    run.Problem(relative, "refused a second entry with the same name in one directory");
                    continue;
                }

                string[] segments = [.. frame.Segments, node.Name];
                var full = frame.Full || includes.Any(i => i.Length <= segments.Length && i.AsSpan().SequenceEqual(segments.AsSpan(0, i.Length)));
                var leading = !full && node.Type == NodeType.Directory
                    && includes.Any(i => i.Length > segments.Length && segments.AsSpan().SequenceEqual(i.AsSpan(0, segments.Length)));
                if (!full && !leading)
                {
                    continue;
                }

                var absolute = RestoreTarget.Join(frame.Absolute, node.Name);
                switch (node.Type)
                {
                    case NodeType.Directory:
                        if (run.PrepareDirectory(absolute, relative, frame.Created) is { } created && await run.LoadChildrenAsync(node, relative).ConfigureAwait(false) is { } children)
                        {
                            frames.Push(new Frame(relative, absolute, segments, node, children, full, created));
                        }

                        break;
                    default:
                        // Nothing can be in a directory this restore just made but what it puts there, and entries are
                        // created exclusively (a stranger's entry makes the creation fail), so there is nothing to inspect.
                        if ((frame.Created ? ExistingKind.Missing : run.CheckExisting(absolute, relative)) is { } existing)
                        {
                            frame.Work.Add(await run.StartEntryAsync(absolute, relative, node, replace: existing != ExistingKind.Missing).ConfigureAwait(false));
                            if (frame.Work.Count >= 4096)
                            {
                                // A directory of millions of files must not keep a task per finished file.
                                frame.Work.RemoveAll(t => t.IsCompletedSuccessfully);
                            }
                        }

                        break;
                }
            }

            await rootWork!.ConfigureAwait(false);
        }
        catch
        {
            // Let the files in flight stop and remove their temporary copies before the error goes up.
            await stop.CancelAsync().ConfigureAwait(false);
            await run.DrainAsync().ConfigureAwait(false);
            throw;
        }

        return run.Result();
    }

    private async Task<RepositoryLock> AcquireLockAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RepositoryLock.AcquireAsync(_repository, exclusive: false, "restore", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new IOException(
                $"A restore holds a shared lock so that no prune deletes what it reads, and the lock could not be written to {_repository.Target.Description} ({ex.Message}). " +
                "For a repository that cannot be written (read-only media), restore without it: --no-lock, or RestoreOptions.Lock = false.", ex);
        }
    }

    /// <summary>A directory being restored: its remaining children and the work started for them.</summary>
    private sealed class Frame(string relative, string absolute, string[] segments, TreeNode? node, IReadOnlyList<TreeNode> children, bool full, bool created)
    {
        public string Relative { get; } = relative;

        public string Absolute { get; } = absolute;

        public string[] Segments { get; } = segments;

        public TreeNode? Node { get; } = node;

        public IEnumerator<TreeNode> Children { get; } = children.GetEnumerator();

        /// <summary>Whether everything below is selected (otherwise it only leads to an included path).</summary>
        public bool Full { get; } = full;

        /// <summary>Whether this restore created the directory (so it held nothing before).</summary>
        public bool Created { get; } = created;

        public HashSet<string> Seen { get; } = new(StringComparer.Ordinal);

        public List<Task> Work { get; } = [];
    }

    /// <summary>The state of one restore: counters, problems, the limit on files in flight and the hard links seen.</summary>
    private sealed class Run(BackupRepository repository, RestoreTarget target, RestoreOptions options, IProgress<RestoreProgress>? progress, CancellationToken cancellationToken) : IDisposable
    {
        /// <summary>Entries started (their files created, so holding a descriptor) per file being filled.</summary>
        private const int EntriesAhead = 8;

        /// <summary>Smaller files are decoded again rather than copied from an earlier one: opening that costs as much.</summary>
        private const long MinSharedSize = 16 * 1024;

        /// <summary>How many distinct contents are remembered for copying, so memory stays bounded on any tree.</summary>
        private const int MaxSharedContents = 32 * 1024;

        private readonly SemaphoreSlim _slots = new(options.Parallelism, options.Parallelism);

        // Files are created by the walk, one after another and ahead of the tasks that fill them: created in parallel
        // in one directory they only queue (spinning) for its lock, which the kernel holds while it looks for a free
        // inode; a restore 3 s after deleting the previous one spent a third of its system time so.
        private readonly SemaphoreSlim _entries = new(EntriesAhead * options.Parallelism, EntriesAhead * options.Parallelism);
        private readonly ConcurrentQueue<RestoreProblem> _problems = new();
        private readonly ConcurrentDictionary<(ulong, ulong), Task<string?>> _hardLinks = new();

        // Files with the same content (copies of one library, of one photo) are decoded once: later ones are copied
        // inside the kernel from the first, which was verified as it was written. Keyed by the content's chunk IDs.
        private readonly ConcurrentDictionary<BlobId, Task<RestoredCopy?>> _restoredContent = new();
        private readonly ContentReader _reader = new(repository, readAhead: 2);
        private readonly long _started = TimeProvider.System.GetTimestamp();
        private long _files, _directories, _bytes, _lastReport, _sharedContents;
        private string? _currentPath;

        private IFileSystem FileSystem => target.FileSystem;

        public void Problem(string path, string reason) => _problems.Enqueue(new RestoreProblem(path, reason));

        public RestoreResult Result()
        {
            Report();
            return new RestoreResult(Interlocked.Read(ref _files), Interlocked.Read(ref _directories), Interlocked.Read(ref _bytes), [.. _problems], TimeProvider.System.GetElapsedTime(_started));
        }

        public async Task DrainAsync()
        {
            for (var i = 0; i < EntriesAhead * options.Parallelism; i++)
            {
                await _entries.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            _entries.Release(EntriesAhead * options.Parallelism);
        }

        public void Dispose()
        {
            _slots.Dispose();
            _entries.Dispose();
        }

        /// <summary>Makes sure a real directory (not a link to one) is at <paramref name="absolute"/>.</summary>
        /// <param name="absolute">Where the directory goes.</param>
        /// <param name="relative">Its path in the snapshot, for problems.</param>
        /// <param name="parentCreated">Whether this restore created the parent, so nothing else can be in the way.</param>
        /// <returns>Whether this restore created it; null when there is no directory to restore into.</returns>
        public bool? PrepareDirectory(string absolute, string relative, bool parentCreated)
        {
            try
            {
                if (parentCreated && target.TryCreateDirectory(absolute))
                {
                    Interlocked.Increment(ref _directories);
                    return true;
                }

                var created = true;
                switch (target.Inspect(absolute))
                {
                    case ExistingKind.Directory:
                        created = false;
                        break;
                    case ExistingKind.Missing:
                        FileSystem.Directory.CreateDirectory(absolute);
                        break;
                    case var _ when options.Existing == ExistingFileBehavior.Overwrite:
                        // A link or file in the way is removed, never descended through.
                        target.DeleteEntry(absolute);
                        FileSystem.Directory.CreateDirectory(absolute);
                        break;
                    case var other when options.Existing == ExistingFileBehavior.Fail:
                        throw new IOException($"'{absolute}' already exists as a {Describe(other)}; the restore stopped (Existing = Fail).");
                    case var other:
                        Problem(relative, $"skipped: a {Describe(other)} is in the way of the directory");
                        return null;
                }

                // Check again: what was created must be a directory of its own, or nothing below is written.
                if (target.Inspect(absolute) != ExistingKind.Directory)
                {
                    Problem(relative, "the directory could not be created safely");
                    return null;
                }

                Interlocked.Increment(ref _directories);
                return created;
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException || (ex is IOException && options.Existing != ExistingFileBehavior.Fail))
            {
                Problem(relative, $"cannot create the directory: {ex.Message}");
                return null;
            }
        }

        public async Task<IReadOnlyList<TreeNode>?> LoadChildrenAsync(TreeNode node, string relative)
        {
            if (node.Subtree is not { } subtree)
            {
                return [];
            }

            try
            {
                return (await repository.LoadTreeAsync(subtree, cancellationToken).ConfigureAwait(false)).Nodes;
            }
            catch (RepositoryCorruptException ex)
            {
                Problem(relative, $"the directory's contents cannot be read: {ex.Message}");
                return [];
            }
        }

        /// <summary>Applies the policy for what already exists; null when the entry is to be left alone.</summary>
        public ExistingKind? CheckExisting(string absolute, string relative)
        {
            var existing = target.Inspect(absolute);
            switch (existing)
            {
                case ExistingKind.Missing:
                    return existing;
                case ExistingKind.Directory:
                    if (options.Existing == ExistingFileBehavior.Fail)
                    {
                        throw new IOException($"'{absolute}' already exists as a directory; the restore stopped (Existing = Fail).");
                    }

                    Problem(relative, "skipped: a directory is in the way");
                    return null;
                case var _ when options.Existing == ExistingFileBehavior.Skip:
                    return null;
                case var other when options.Existing == ExistingFileBehavior.Fail:
                    throw new IOException($"'{absolute}' already exists as a {Describe(other)}; the restore stopped (Existing = Fail).");
                default:
                    return existing;
            }
        }

        public async Task<Task> StartEntryAsync(string absolute, string relative, TreeNode node, bool replace)
        {
            await _entries.WaitAsync(cancellationToken).ConfigureAwait(false);
            return RestoreEntryAsync(absolute, relative, node, replace);
        }

        public async Task FinishDirectoryAsync(Task contents, string absolute, string relative, TreeNode node)
        {
            await contents.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (target.ApplyMetadata(absolute, node) is { } failure)
            {
                Problem(relative, failure);
            }

            Done(relative);
        }

        /// <summary>
        /// Restores one entry. A new entry is created under its own name (exclusively, so nothing that appeared
        /// meanwhile is followed or overwritten); one that replaces an existing entry is made under a temporary name
        /// and renamed over it, so the old one stays whole until the new one is. Either way a failure removes what
        /// was made.
        /// </summary>
        private async Task RestoreEntryAsync(string absolute, string relative, TreeNode node, bool replace)
        {
            var directory = absolute[..absolute.LastIndexOf('/')];
            var staging = replace ? RestoreTarget.TempPath(directory.Length == 0 ? "/" : directory) : absolute;
            var created = false;
            RestoreFile? file = null;
            TaskCompletionSource<string?>? first = null;
            TaskCompletionSource<RestoredCopy?>? firstWithContent = null;
            var slot = false;
            try
            {
                var linked = target.Native && node.Links > 1 && node.Inode != 0;
                if (node.Type == NodeType.File && !linked)
                {
                    // Still on the walk (nothing was awaited yet): see _entries.
                    file = target.CreateFile(staging);
                    created = true;
                }

                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                slot = true;
                await Task.Yield();
                switch (node.Type)
                {
                    case NodeType.File when linked:
                        var mine = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
                        var winner = _hardLinks.GetOrAdd((node.Device, node.Inode), mine.Task);
                        if (winner != mine.Task && await winner.ConfigureAwait(false) is { } linkTo)
                        {
                            RestoreTarget.CreateHardLink(linkTo, staging);
                            created = true;
                            break;
                        }

                        if (winner == mine.Task)
                        {
                            first = mine;
                        }

                        goto case NodeType.File;
                    case NodeType.File:
                        if (file is null)
                        {
                            file = target.CreateFile(staging);
                            created = true;
                        }

                        if (ContentKey(file, node) is { } key)
                        {
                            var ours = new TaskCompletionSource<RestoredCopy?>(TaskCreationOptions.RunContinuationsAsynchronously);
                            var earlier = Interlocked.Read(ref _sharedContents) < MaxSharedContents ? _restoredContent.GetOrAdd(key, ours.Task) : _restoredContent.GetValueOrDefault(key);
                            if (earlier == ours.Task)
                            {
                                firstWithContent = ours;
                                Interlocked.Increment(ref _sharedContents);
                            }
                            else if (earlier is not null)
                            {
                                if (!earlier.IsCompleted)
                                {
                                    // The first copy holds a slot of its own: waiting for it needs none.
                                    _slots.Release();
                                    slot = false;
                                }

                                var copyFrom = await earlier.ConfigureAwait(false);
                                if (!slot)
                                {
                                    await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                                    slot = true;
                                }

                                if (copyFrom is { } copy && target.TryCopyContent((RestoreFile.Native)file, copy, node, cancellationToken))
                                {
                                    Interlocked.Add(ref _bytes, node.Size);
                                    break;
                                }
                            }
                        }

                        await WriteFileAsync(file, node).ConfigureAwait(false);
                        break;
                    case NodeType.Symlink:
                        target.CreateSymlink(staging, node.LinkTarget ?? string.Empty);
                        created = true;
                        break;
                    case NodeType.Special when (node.Mode & 0xF000) == 0xC000:
                        // A socket file means nothing without the process that listened on it.
                        return;
                    default:
                        target.CreateSpecial(staging, node);
                        created = true;
                        break;
                }

                var identity = firstWithContent is not null ? RestoreTarget.Identify((RestoreFile.Native)file!, absolute) : null;
                var failure = file is null ? target.ApplyMetadata(staging, node) : target.Close(file, staging, node);
                if (failure is not null)
                {
                    Problem(relative, failure);
                }

                if (replace)
                {
                    target.Replace(staging, absolute);
                }

                first?.TrySetResult(absolute);
                firstWithContent?.TrySetResult(identity);
                Interlocked.Increment(ref _files);
                Done(relative);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or RepositoryCorruptException)
            {
                first?.TrySetResult(null);
                firstWithContent?.TrySetResult(null);
                file?.Dispose();
                TryDelete(staging, created);
                Problem(relative, ex.Message);
            }
            catch
            {
                first?.TrySetResult(null);
                firstWithContent?.TrySetResult(null);
                file?.Dispose();
                TryDelete(staging, created);
                throw;
            }
            finally
            {
                if (slot)
                {
                    _slots.Release();
                }

                _entries.Release();
            }
        }

        /// <summary>
        /// What identifies the content of <paramref name="node"/> among files that can share it, or null for a file
        /// too small to be worth copying, sparse (a copy would fill its holes), or not on the native file system.
        /// </summary>
        private static BlobId? ContentKey(RestoreFile file, TreeNode node)
        {
            if (file is not RestoreFile.Native || node.Sparse || node.Size < MinSharedSize || node.Content is not { Count: > 0 } content)
            {
                return null;
            }

            if (content.Count == 1)
            {
                return content[0];
            }

            var ids = new byte[content.Count * BlobId.Size];
            for (var i = 0; i < content.Count; i++)
            {
                content[i].WriteTo(ids.AsSpan(i * BlobId.Size));
            }

            return BlobId.Sha256(ids);
        }

        private async Task WriteFileAsync(RestoreFile file, TreeNode node)
        {
            long written = 0;
            await _reader.CopyToAsync(node.Content ?? [], async (chunk, ct) =>
            {
                // Leaving all-zero chunks of a sparse file unwritten recreates its holes.
                if (!node.Sparse || chunk.Span.ContainsAnyExcept((byte)0))
                {
                    await file.WriteAsync(chunk, written, ct).ConfigureAwait(false);
                }

                written += chunk.Length;
                Interlocked.Add(ref _bytes, chunk.Length);
            }, cancellationToken).ConfigureAwait(false);

            if (written != node.Size)
            {
                throw new IOException($"the stored content is {written} bytes, but the snapshot records {node.Size}");
            }

            // A hole at the end has no write to give the file its length.
            file.EnsureLength(written);
        }

        /// <summary>Removes what this restore made at <paramref name="path"/> (never an entry it did not create).</summary>
        private void TryDelete(string path, bool created)
        {
            if (!created)
            {
                return;
            }

            try
            {
                if (target.Inspect(path) != ExistingKind.Missing)
                {
                    target.DeleteEntry(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Problem(path, $"the partly restored entry could not be removed: {ex.Message}");
            }
        }

        private void Done(string path)
        {
            _currentPath = path;
            if (progress is null)
            {
                return;
            }

            var now = TimeProvider.System.GetTimestamp();
            var last = Interlocked.Read(ref _lastReport);
            if (TimeProvider.System.GetElapsedTime(last, now) >= TimeSpan.FromMilliseconds(100) && Interlocked.CompareExchange(ref _lastReport, now, last) == last)
            {
                Report();
            }
        }

        private void Report() => progress?.Report(new RestoreProgress(
            Interlocked.Read(ref _files), Interlocked.Read(ref _directories), Interlocked.Read(ref _bytes), _currentPath, TimeProvider.System.GetElapsedTime(_started)));

        private static string Describe(ExistingKind kind) => kind switch
        {
            ExistingKind.Symlink => "symlink",
            ExistingKind.Directory => "directory",
            _ => "file",
        };
    }
}
