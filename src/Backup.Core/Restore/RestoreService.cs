using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Abstractions;
using Backup.Core.Diagnostics;
using Backup.Core.Native;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Repository.Locks;
using Backup.Core.Content;
using Backup.Core.Storage;

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
/// outside the target: unsafe names (see <see cref="NodeNames"/>) and duplicate names are refused, and links are
/// never followed: on Linux every entry is reached by one name from an open handle of its directory, so a directory
/// swapped for a link while the restore runs changes nothing outside (see RestoreTarget for what other systems get).
/// Set-user-ID and set-group-ID bits come back only with the owner; device nodes only into the original place (see
/// <see cref="RestoreOptions.DeviceNodes"/>). A directory's mode and time are applied after its contents.
/// Files of identical content (16 KiB or more, not sparse) are decoded once: the later ones are copied inside the kernel
/// from the first (shared extents where the file system can reflink), unless that first copy is no longer the same,
/// unchanged inode that only those who may write the later file could have written; then they are decoded too.
/// </remarks>
public sealed class RestoreService
{
    private const string NotReachedEntry = "not restored: the target is full";
    private const string NotReachedDirectory = "not restored, nor anything below it: the target is full";

    private readonly BackupRepository _repository;
    private readonly IFileSystem _fileSystem;
    private readonly bool _native;
    private readonly BackupDiagnostics _diagnostics;

    /// <summary>Restores from <paramref name="repository"/> into <paramref name="fileSystem"/> (the real one when null), reporting to <paramref name="diagnostics"/> (<see cref="BackupDiagnostics.Default"/> when null).</summary>
    public RestoreService(BackupRepository repository, IFileSystem? fileSystem = null, BackupDiagnostics? diagnostics = null)
    {
        _diagnostics = diagnostics ?? BackupDiagnostics.Default;
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _fileSystem = fileSystem ?? new System.IO.Abstractions.FileSystem();
        _native = UnixNative.IsSupported && _fileSystem.GetType() == typeof(System.IO.Abstractions.FileSystem);
    }

    /// <summary>Restores <paramref name="snapshot"/> into <paramref name="targetDirectory"/> (created when missing).</summary>
    /// <returns>Counts, and every entry that was not (completely) restored.</returns>
    /// <exception cref="FileNotFoundException">An <see cref="RestoreOptions.Include"/> path is not in the snapshot; nothing was restored.</exception>
    /// <exception cref="IOException">An entry exists and <see cref="RestoreOptions.Existing"/> is <see cref="ExistingFileBehavior.Fail"/>, the target cannot be created, or the lock cannot be written.</exception>
    /// <exception cref="RepositoryCorruptException">The snapshot's root tree is missing or damaged.</exception>
    /// <exception cref="RepositoryLockedException">Prune or repair holds the repository.</exception>
    /// <exception cref="RestoreTargetFullException">The target filled up (or its quota ran out): the restore stopped; the exception lists every entry not written.</exception>
    public Task<RestoreResult> RestoreAsync(Snapshot snapshot, string targetDirectory, RestoreOptions? options = null, IProgress<RestoreProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _diagnostics.RunAsync("restore", _repository.Location, () => RunRestoreAsync(snapshot, targetDirectory, options, progress, cancellationToken), (operation, result) => operation.RestoreCompleted(snapshot.Id, targetDirectory, result));

    /// <summary>
    /// Fails before anything is written when an include names no entry of the snapshot: a mistyped path, or 'latest'
    /// resolving to a snapshot of other paths, would otherwise "succeed" with nothing restored.
    /// </summary>
    private async Task RequireIncludedPathsAsync(Snapshot snapshot, IReadOnlyList<string> includes, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        foreach (var include in includes)
        {
            if (await SnapshotWalker.FindAsync(_repository.Snapshots, snapshot, include, cancellationToken).ConfigureAwait(false) is null)
            {
                missing.Add(include);
            }
        }

        if (missing.Count > 0)
        {
            var of = snapshot.Paths.Count == 0 ? string.Empty : $" (of {string.Join(", ", snapshot.Paths.Select(p => $"'{p}'"))})";
            throw new FileNotFoundException(
                $"Snapshot {snapshot.Id.ToShortString()}{of} has no path {string.Join(", ", missing.Select(p => $"'{p}'"))}; nothing was restored. " +
                "Include paths are the paths the snapshot stored (absolute, as backed up).");
        }
    }

    private async Task<RestoreResult> RunRestoreAsync(Snapshot snapshot, string targetDirectory, RestoreOptions? options, IProgress<RestoreProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        options ??= new RestoreOptions();
        options.Validate();
        await RequireIncludedPathsAsync(snapshot, options.Include, cancellationToken).ConfigureAwait(false);
        var root = _fileSystem.Path.GetFullPath(targetDirectory);
        if (root.Length > 1)
        {
            root = root.TrimEnd('/');
        }

        // The index may predate a prune that repacked what this snapshot needs (a long-lived repository): the operation
        // refreshes it under the lock, where none can start, so it stays right for the whole restore.
        await using var operation = options.Lock ? await BeginOperationAsync(cancellationToken).ConfigureAwait(false) : null;
        if (operation is null)
        {
            await _repository.Blobs.RefreshIndexAsync(cancellationToken).ConfigureAwait(false);
        }
        using var rootDirectory = RestoreTarget.OpenRoot(_fileSystem, _native, root);
        var target = new RestoreTarget(_fileSystem, _native, options.RestoreOwnership && UnixNative.IsRoot && _native, rootDirectory);
        var devices = options.DeviceNodes ?? target.IsOriginalPlace();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var includes = options.Include.Select(p => p.Split('/', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var rootTree = await _repository.Snapshots.LoadTreeAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);

        // On a remote store every request costs tens of milliseconds: the chunks are planned first and read per pack.
        await using var batches = _repository.Blobs.ReadsAreRemote ? new PackBatchReader(_repository.Blobs) : null;
        Dictionary<BlobId, IReadOnlyList<TreeNode>> plannedTrees = batches is null ? [] : await ContentPlanner.PlanAsync(_repository.Blobs, batches, rootTree.Nodes, includes, RestoreContent.CopiedLater(_native), cancellationToken).ConfigureAwait(false);
        batches?.Start();
        using var run = new Run(_repository, target, options, progress, stop.Cancel, batches, plannedTrees, stop.Token);
        var frames = new Stack<Frame>();
        frames.Push(new Frame(string.Empty, rootDirectory, [], null, rootTree.Nodes, includes.Count == 0 || includes.Any(i => i.Length == 0), created: false));
        Task? rootWork = null;

        // The entry the walk is handing on: taken from its directory's list but not yet handed to its own task.
        (string Path, TreeNode Node)? handing = null;
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
                        frames.Peek().Work.Add(run.FinishDirectoryAsync(finished, frame.Directory, frame.Relative, frame.Node));
                    }

                    continue;
                }

                var node = frame.Children.Current;
                if (!NodeNames.IsSafe(node.Name))
                {
                    run.Problem(SnapshotWalker.Join(frame.Relative, (node.Name ?? string.Empty).Replace("\0", "\\0", StringComparison.Ordinal)), NodeNames.Describe(node.Name), repositoryDamaged: true);
                    continue;
                }

                var relative = SnapshotWalker.Join(frame.Relative, node.Name);
                if (!frame.Seen.Add(node.Name))
                {
                    run.Problem(relative, "refused a second entry with the same name in one directory", repositoryDamaged: true);
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

                if (!_native && !target.IsBelowRoot(RestoreTarget.Join(frame.Directory.Path, node.Name)))
                {
                    // Paths are only built where no directory handle is held (another OS, a simulated file system).
                    run.Problem(relative, "refused: the name resolves to a path outside the target", repositoryDamaged: true);
                    continue;
                }

                if (node.Type == NodeType.Special && IsDevice(node) && !devices)
                {
                    run.SkippedDevice(relative, options.DeviceNodes is null
                        ? "skipped: device nodes are restored only into the original place (target '/') unless RestoreOptions.DeviceNodes is true"
                        : "skipped: this restore was asked to create no device nodes", remedy: options.DeviceNodes is null ? RestoreProblemRemedy.DeviceNodes : RestoreProblemRemedy.None);
                    continue;
                }

                handing = (relative, node);
                switch (node.Type)
                {
                    case NodeType.Directory:
                        if (run.PrepareDirectory(frame.Directory, node.Name, relative, frame.Created) is { } prepared)
                        {
                            if (await run.LoadChildrenAsync(node, relative).ConfigureAwait(false) is { } children)
                            {
                                frames.Push(new Frame(relative, prepared.Directory, segments, node, children, full, prepared.Created));
                            }
                            else
                            {
                                prepared.Directory.Dispose();
                            }
                        }

                        break;
                    default:
                        // Nothing can be in a directory this restore just made but what it puts there, and entries are
                        // created exclusively (a stranger's entry makes the creation fail), so there is nothing to inspect.
                        if ((frame.Created ? ExistingKind.Missing : run.CheckExisting(frame.Directory, node.Name, relative, node)) is { } existing)
                        {
                            frame.Work.Add(await run.StartEntryAsync(frame.Directory, node.Name, relative, node, replace: existing != ExistingKind.Missing).ConfigureAwait(false));
                            if (frame.Work.Count >= 4096)
                            {
                                // A directory of millions of files must not keep a task per finished file.
                                frame.Work.RemoveAll(t => t.IsCompletedSuccessfully);
                            }
                        }

                        break;
                }

                handing = null;
            }

            await rootWork!.ConfigureAwait(false);
        }
        catch
        {
            // Let the files in flight stop and remove their temporary copies before the error goes up.
            await stop.CancelAsync().ConfigureAwait(false);
            await run.DrainAsync().ConfigureAwait(false);
            foreach (var open in frames)
            {
                if (open.Node is not null)
                {
                    open.Directory.Dispose();
                }
            }

            if (run.Full is { } full && !cancellationToken.IsCancellationRequested)
            {
                // The rest of the walk would only fail the same way: what it would have written is listed instead.
                if (handing is { } entry)
                {
                    run.NotWritten(entry.Path, entry.Node.Type == NodeType.Directory ? NotReachedDirectory : NotReachedEntry);
                }

                ListNotReached(frames, includes, run);
                throw new RestoreTargetFullException(root, full.OverQuota, run.Result(), full.Cause);
            }

            throw;
        }

        // The last write may have found the target full after the walk had ended.
        return run.Full is { } last ? throw new RestoreTargetFullException(root, last.OverQuota, run.Result(), last.Cause) : run.Result();
    }

    /// <summary>
    /// Records every selected entry the walk did not reach as not written: the remaining children of each open
    /// directory (a directory stands for everything below it, whose trees are not read).
    /// </summary>
    private static void ListNotReached(Stack<Frame> frames, List<string[]> includes, Run run)
    {
        foreach (var frame in frames)
        {
            while (frame.Children.MoveNext())
            {
                var node = frame.Children.Current;
                if (!NodeNames.IsSafe(node.Name) || !frame.Seen.Add(node.Name))
                {
                    continue;
                }

                string[] segments = [.. frame.Segments, node.Name];
                if (frame.Full || includes.Any(i => i.Length <= segments.Length ? i.AsSpan().SequenceEqual(segments.AsSpan(0, i.Length)) : node.Type == NodeType.Directory && segments.AsSpan().SequenceEqual(i.AsSpan(0, segments.Length))))
                {
                    run.NotWritten(SnapshotWalker.Join(frame.Relative, node.Name), node.Type == NodeType.Directory ? NotReachedDirectory : NotReachedEntry);
                }
            }
        }
    }

    /// <summary>Whether a special node is a character or block device (not a FIFO or socket).</summary>
    private static bool IsDevice(TreeNode node) => (node.Mode & UnixStat.TypeMask) is UnixStat.CharDevice or UnixStat.BlockDevice;

    private async Task<RepositoryOperation> BeginOperationAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _repository.BeginOperationAsync(LockKind.Shared, "restore", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new RepositoryLockNotWritableException(
                $"A restore holds a shared lock so that no prune deletes what it reads, and the lock could not be written to {_repository.Location} ({ex.Message}). " +
                "For a repository that cannot be written (read-only media), restore without it (RestoreOptions.Lock = false).", _repository.Location, ex);
        }
    }

    /// <summary>A directory being restored: its remaining children and the work started for them.</summary>
    private sealed class Frame(string relative, TargetDirectory directory, string[] segments, TreeNode? node, IReadOnlyList<TreeNode> children, bool full, bool created)
    {
        public string Relative { get; } = relative;

        /// <summary>The directory on disk, held open until its own metadata is applied.</summary>
        public TargetDirectory Directory { get; } = directory;

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
    private sealed class Run(BackupRepository repository, RestoreTarget target, RestoreOptions options, IProgress<RestoreProgress>? progress, Action stopRestore, PackBatchReader? batches, Dictionary<BlobId, IReadOnlyList<TreeNode>> plannedTrees, CancellationToken cancellationToken) : IDisposable
    {
        /// <summary>Entries started (their files created, so holding a descriptor) per file being filled.</summary>
        private const int EntriesAhead = 8;

        private const long MinSharedSize = RestoreContent.MinSharedSize;
        private const int MaxSharedContents = RestoreContent.MaxSharedContents;

        private readonly SemaphoreSlim _slots = new(options.Parallelism, options.Parallelism);

        // Files are created by the walk, one after another and ahead of the tasks that fill them: created in parallel
        // in one directory they only queue (spinning) for its lock, which the kernel holds while it looks for a free
        // inode; a restore 3 s after deleting the previous one spent a third of its system time so.
        private readonly SemaphoreSlim _entries = new(EntriesAhead * options.Parallelism, EntriesAhead * options.Parallelism);
        private readonly ConcurrentQueue<RestoreProblem> _problems = new();
        private readonly ConcurrentDictionary<(ulong, ulong), Task<RestoredCopy?>> _hardLinks = new();

        // Files with the same content (copies of one library, of one photo) are decoded once: later ones are copied
        // inside the kernel from the first, which was verified as it was written. Keyed by the content's chunk IDs.
        private readonly ConcurrentDictionary<BlobId, Task<RestoredCopy?>> _restoredContent = new();
        private readonly ContentReader _reader = new(repository.Blobs, readAhead: 2, batches);
        private readonly long _started = TimeProvider.System.GetTimestamp();
        private long _files, _others, _directories, _bytes, _skipped, _lastReport, _sharedContents, _verified;
        private string? _currentPath;
        private TargetFull? _full;

        /// <summary>The first full-disk or quota failure, after which the restore stops; null while there is room.</summary>
        public TargetFull? Full => Volatile.Read(ref _full);

        public void Problem(string path, string reason, bool repositoryDamaged = false, RestoreProblemRemedy remedy = RestoreProblemRemedy.None) =>
            _problems.Enqueue(new RestoreProblem { Path = path, Reason = reason, RepositoryDamaged = repositoryDamaged, Remedy = remedy });

        public void SkippedDevice(string path, string reason, RestoreProblemRemedy remedy) =>
            _problems.Enqueue(new RestoreProblem { Path = path, Reason = reason, Remedy = remedy, SkippedDeviceNode = true });

        /// <summary>Records an entry the full target kept from being written.</summary>
        public void NotWritten(string path, string reason) => _problems.Enqueue(new RestoreProblem { Path = path, Reason = reason, NotWritten = true });

        /// <summary>
        /// Whether <paramref name="exception"/> says the target is full or over quota; if so, records it (the first one)
        /// and stops the restore: every later write would fail the same way.
        /// </summary>
        private bool StopIfFull(Exception exception)
        {
            if (!StorageFullException.IsFull(exception, out var overQuota))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _full, new TargetFull(overQuota, exception), null) is null)
            {
                stopRestore();
            }

            return true;
        }

        public RestoreResult Result()
        {
            Report();
            return new RestoreResult { Files = Interlocked.Read(ref _files), OtherEntries = Interlocked.Read(ref _others), Directories = Interlocked.Read(ref _directories), Bytes = Interlocked.Read(ref _bytes), Skipped = Interlocked.Read(ref _skipped), Verified = Interlocked.Read(ref _verified), Problems = [.. _problems], Duration = TimeProvider.System.GetElapsedTime(_started) };
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

        /// <summary>Makes sure a real directory (not a link to one) is at <paramref name="name"/> in <paramref name="parent"/>, and opens it.</summary>
        /// <param name="parent">Where the directory goes.</param>
        /// <param name="name">Its name.</param>
        /// <param name="relative">Its path in the snapshot, for problems.</param>
        /// <param name="parentCreated">Whether this restore created the parent, so nothing else can be in the way.</param>
        /// <returns>The open directory and whether this restore created it; null when there is no directory to restore into.</returns>
        public (TargetDirectory Directory, bool Created)? PrepareDirectory(TargetDirectory parent, string name, string relative, bool parentCreated)
        {
            try
            {
                var created = true;
                if (!parentCreated || !target.TryCreateDirectory(parent, name))
                {
                    switch (target.Inspect(parent, name))
                    {
                        case ExistingKind.Directory:
                            created = false;
                            break;
                        case ExistingKind.Missing:
                            target.CreateDirectory(parent, name);
                            break;
                        case var _ when options.Existing is ExistingFileBehavior.Overwrite or ExistingFileBehavior.OverwriteChanged:
                            // A link or file in the way is removed, never descended through.
                            target.DeleteEntry(parent, name);
                            target.CreateDirectory(parent, name);
                            break;
                        case var other when options.Existing == ExistingFileBehavior.Fail:
                            throw new RestoreEntryExistsException(RestoreTarget.Join(parent.Path, name), Describe(other));
                        case var other:
                            Problem(relative, $"skipped: a {Describe(other)} is in the way of the directory");
                            return null;
                    }
                }

                // Opened without following a link: what is there now must be a directory (of this restore's, when it
                // made one), or nothing below is written.
                if (target.OpenDirectory(parent, name, created) is not { } directory)
                {
                    Problem(relative, "the directory could not be created safely (something else took its place)");
                    return null;
                }

                Interlocked.Increment(ref _directories);
                return (directory, created);
            }
            catch (Exception ex) when (ex is IOException && StopIfFull(ex))
            {
                NotWritten(relative, $"not restored, nor anything below it: cannot create the directory: {ex.Message}");
                return null;
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

            // The walk runs on one thread: the planner's trees need no lock.
            if (plannedTrees.Remove(subtree, out var planned))
            {
                return planned;
            }

            try
            {
                return (await repository.Snapshots.LoadTreeAsync(subtree, cancellationToken).ConfigureAwait(false)).Nodes;
            }
            catch (RepositoryCorruptException ex)
            {
                Problem(relative, $"the directory's contents cannot be read: {ex.Message}", repositoryDamaged: true);
                return [];
            }
        }

        /// <summary>Applies the policy for what already exists; null when the entry is to be left alone.</summary>
        public ExistingKind? CheckExisting(TargetDirectory directory, string name, string relative, TreeNode node)
        {
            var existing = target.Inspect(directory, name);
            switch (existing)
            {
                case ExistingKind.Missing:
                    return existing;
                case ExistingKind.Directory:
                    if (options.Existing == ExistingFileBehavior.Fail)
                    {
                        throw new RestoreEntryExistsException(RestoreTarget.Join(directory.Path, name), "directory");
                    }

                    Problem(relative, "skipped: a directory is in the way");
                    return null;
                case ExistingKind.File when options.Existing == ExistingFileBehavior.Skip && node.Type == NodeType.File && !target.HoldsFinished(directory, name, node):
                    // Left alone as asked, but not passed off as restored: a restore killed while writing leaves a
                    // file like this under its own name.
                    Interlocked.Increment(ref _skipped);
                    Problem(relative, "left as it was (ExistingFileBehavior.Skip), but it differs from the snapshot (size, modification time, owner or permissions), as a file a stopped restore was writing does; " +
                        "replace what differs with ExistingFileBehavior.OverwriteChanged", remedy: RestoreProblemRemedy.OverwriteChanged);
                    return null;
                case var _ when options.Existing == ExistingFileBehavior.Skip:
                    Interlocked.Increment(ref _skipped);
                    return null;
                // A file of a hard-link group is restored again: the group is made whole only by restoring it together.
                case ExistingKind.File when options.Existing == ExistingFileBehavior.OverwriteChanged && node.Type == NodeType.File && node.Links <= 1 && target.HoldsFinished(directory, name, node):
                    Interlocked.Increment(ref _skipped);
                    return null;
                case var other when options.Existing == ExistingFileBehavior.Fail:
                    throw new RestoreEntryExistsException(RestoreTarget.Join(directory.Path, name), Describe(other));
                default:
                    return existing;
            }
        }

        public async Task<Task> StartEntryAsync(TargetDirectory directory, string name, string relative, TreeNode node, bool replace)
        {
            await _entries.WaitAsync(cancellationToken).ConfigureAwait(false);
            return RestoreEntryAsync(directory, name, relative, node, replace);
        }

        public async Task FinishDirectoryAsync(Task contents, TargetDirectory directory, string relative, TreeNode node)
        {
            using (directory)
            {
                await contents.ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (target.ApplyDirectoryMetadata(directory, node) is { } failure)
                {
                    Problem(relative, failure);
                }
            }

            Done(relative);
        }

        /// <summary>
        /// Restores one entry. A new entry is created under its own name (exclusively, so nothing that appeared
        /// meanwhile is followed or overwritten); one that replaces an existing entry is made under a temporary name
        /// and renamed over it, so the old one stays whole until the new one is. Either way a failure removes what
        /// was made.
        /// </summary>
        private async Task RestoreEntryAsync(TargetDirectory directory, string name, string relative, TreeNode node, bool replace)
        {
            var staging = replace ? RestoreTarget.TempName() : name;
            var created = false;
            RestoreFile? file = null;
            TaskCompletionSource<RestoredCopy?>? first = null;
            TaskCompletionSource<RestoredCopy?>? firstWithContent = null;
            var slot = false;
            (ulong, ulong)? linkedTo = null;
            try
            {
                var linked = target.Native && node.Links > 1 && node.Inode != 0;
                if (node.Type == NodeType.File && !linked)
                {
                    // Still on the walk (nothing was awaited yet): see _entries.
                    file = target.CreateFile(directory, staging);
                    created = true;
                }

                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                slot = true;
                await Task.Yield();
                switch (node.Type)
                {
                    case NodeType.File when linked:
                        var mine = new TaskCompletionSource<RestoredCopy?>(TaskCreationOptions.RunContinuationsAsynchronously);
                        var winner = _hardLinks.GetOrAdd((node.Device, node.Inode), mine.Task);
                        if (winner != mine.Task && await winner.ConfigureAwait(false) is { } linkTo)
                        {
                            target.CreateHardLink(linkTo, directory, staging);
                            linkedTo = (linkTo.Device, linkTo.Inode);
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
                            file = target.CreateFile(directory, staging);
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
                        target.CreateSymlink(directory, staging, node.LinkTarget ?? string.Empty);
                        created = true;
                        break;
                    case NodeType.Special when (node.Mode & 0xF000) == 0xC000:
                        // A socket file means nothing without the process that listened on it.
                        return;
                    default:
                        target.CreateSpecial(directory, staging, node);
                        created = true;
                        break;
                }

                if (options.Verify && node.Type == NodeType.File)
                {
                    if (file is not null)
                    {
                        VerifyWritten(file, node);
                    }
                    else
                    {
                        // A hard link to a file of this restore, which was read back before it could be linked to.
                        Interlocked.Increment(ref _verified);
                    }
                }

                var identity = (firstWithContent ?? first) is not null ? RestoreTarget.Identify((RestoreFile.Native)file!, relative) : null;
                var failure = file is null ? target.ApplyMetadata(directory, staging, node, linkedTo) : target.Close(file, directory, staging, node);
                if (failure is not null)
                {
                    Problem(relative, failure);
                }

                if (replace)
                {
                    target.Replace(directory, staging, name);
                }

                first?.TrySetResult(identity);
                firstWithContent?.TrySetResult(identity);
                Interlocked.Increment(ref (node.Type == NodeType.File ? ref _files : ref _others));
                Done(relative);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or RepositoryCorruptException)
            {
                first?.TrySetResult(null);
                firstWithContent?.TrySetResult(null);
                file?.Dispose();
                TryDelete(directory, staging, created);
                if (ex is IOException && StopIfFull(ex))
                {
                    NotWritten(relative, $"not restored (what was written of it was removed): {ex.Message}");
                }
                else
                {
                    Problem(relative, ex.Message, repositoryDamaged: ex is RepositoryCorruptException);
                }
            }
            catch (Exception ex)
            {
                first?.TrySetResult(null);
                firstWithContent?.TrySetResult(null);
                file?.Dispose();
                TryDelete(directory, staging, created);
                if (ex is OperationCanceledException && Full is not null)
                {
                    // Stopped because another write found the target full: this entry was not written either.
                    NotWritten(relative, "not restored (what was written of it was removed): the target is full");
                }

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
            return file is not RestoreFile.Native || node.Sparse || node.Size < MinSharedSize || node.Content is not { Count: > 0 } content
                ? null
                : RestoreContent.Key(content);
        }

        private async Task WriteFileAsync(RestoreFile file, TreeNode node)
        {
            long written = 0;
            try
            {
                await _reader.CopyToAsync(node.Content ?? [], async (chunk, ct) =>
                {
                    if (node.Sparse)
                    {
                        await WriteSparseAsync(file, chunk, written, ct).ConfigureAwait(false);
                    }
                    else
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
            }
            catch
            {
                // The file is removed: its bytes do not count as restored.
                Interlocked.Add(ref _bytes, -written);
                throw;
            }

            // A hole at the end has no write to give the file its length.
            file.EnsureLength(written);
        }

        /// <summary>
        /// Reads <paramref name="file"/> back chunk by chunk, by the lengths the index gives, and compares each with its keyed
        /// ID, then makes sure nothing follows: a difference is an <see cref="IOException"/>, so the file is removed and named.
        /// </summary>
        private void VerifyWritten(RestoreFile file, TreeNode node)
        {
            long offset = 0;
            foreach (var id in node.Content ?? [])
            {
                if (!repository.Blobs.Index.TryGet(id, out var location))
                {
                    throw new RepositoryCorruptException($"Blob {id.ToShortString()} is not in the index: the data it belongs to is missing.") { BlobId = id, Remedy = RepositoryRemedy.Check };
                }

                var length = (int)location.RawLength;
                var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                try
                {
                    var read = ReadBackExactly(file, buffer.AsSpan(0, length), offset);
                    if (read < length)
                    {
                        throw new IOException($"read back, the restored file ends at byte {offset + read:N0}; the snapshot's content is {node.Size:N0} bytes");
                    }

                    if (repository.Blobs.ComputeId(buffer.AsSpan(0, length)) != id)
                    {
                        throw new IOException($"read back, bytes {offset:N0} to {offset + length:N0} of the restored file differ from the snapshot's content");
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                offset += length;
            }

            Span<byte> beyond = stackalloc byte[1];
            if (offset != node.Size || file.ReadBack(beyond, offset) > 0)
            {
                throw new IOException($"read back, the restored file is longer than the snapshot's {node.Size:N0} bytes");
            }

            Interlocked.Increment(ref _verified);
        }

        private static int ReadBackExactly(RestoreFile file, Span<byte> buffer, long offset)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var read = file.ReadBack(buffer[total..], offset + total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }

        /// <summary>Writes the runs of <paramref name="chunk"/> that hold data (<see cref="SparseRuns"/>), so a sparse file gets its holes back.</summary>
        private static async ValueTask WriteSparseAsync(RestoreFile file, ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
        {
            foreach (var (start, length) in SparseRuns.Find(chunk.Span, offset))
            {
                await file.WriteAsync(chunk.Slice(start, length), offset + start, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Removes what this restore made at <paramref name="name"/> (never an entry it did not create).</summary>
        private void TryDelete(TargetDirectory directory, string name, bool created)
        {
            if (!created)
            {
                return;
            }

            try
            {
                if (target.Inspect(directory, name) != ExistingKind.Missing)
                {
                    target.DeleteEntry(directory, name);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Problem(RestoreTarget.Join(directory.Path, name), $"the partly restored entry could not be removed: {ex.Message}");
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

        private void Report() => progress?.Report(new RestoreProgress
        {
            Files = Interlocked.Read(ref _files),
            Directories = Interlocked.Read(ref _directories),
            Bytes = Interlocked.Read(ref _bytes),
            CurrentPath = _currentPath,
            Elapsed = TimeProvider.System.GetElapsedTime(_started),
        });

        /// <summary>The failure that stopped a restore into a full target.</summary>
        public sealed record TargetFull(bool OverQuota, Exception Cause);

        private static string Describe(ExistingKind kind) => kind switch
        {
            ExistingKind.Symlink => "symlink",
            ExistingKind.Directory => "directory",
            _ => "file",
        };
    }
}
