using System.Diagnostics;
using Backup.Core.Diagnostics;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Repository.Blobs;
using Backup.Core.Content;

namespace Backup.Core.Pipeline;

/// <summary>
/// Backs up a source into a repository: walks its entries, reads (or, by level, trusts) file contents, cuts
/// them into chunks, stores new chunks, builds one tree blob per directory bottom-up, and writes the snapshot
/// last, after its packs and index.
/// </summary>
public sealed class BackupService
{
    private readonly BackupRepository _repository;
    private readonly TimeProvider _time;
    private readonly BackupDiagnostics _diagnostics;

    /// <summary>Backs up into <paramref name="repository"/>, reporting to <paramref name="diagnostics"/> (<see cref="BackupDiagnostics.Default"/> when null).</summary>
    public BackupService(BackupRepository repository, TimeProvider? timeProvider = null, BackupDiagnostics? diagnostics = null)
    {
        _diagnostics = diagnostics ?? BackupDiagnostics.Default;
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// Runs one backup of <paramref name="source"/>: prepares it, reads its entries, records its facts (merged under
    /// <see cref="BackupOptions.Metadata"/>, which wins on a clash) in the snapshot, and disposes of it, also when the
    /// backup fails. The source serves this one run.
    /// </summary>
    /// <returns>The snapshot and the entries that could not be read (then the snapshot is partial).</returns>
    /// <exception cref="BackupSourceException">The source failed as a whole (it could not be prepared, or a dump tool reported an error): no snapshot was written.</exception>
    public Task<BackupResult> BackupAsync(IBackupSource source, BackupOptions? options = null, IProgress<BackupProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _diagnostics.RunAsync("backup", _repository.Location, () => RunBackupAsync(source, options, progress, cancellationToken), (operation, result) => operation.BackupCompleted(source, result));

    private async Task<BackupResult> RunBackupAsync(IBackupSource source, BackupOptions? options, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            options ??= new BackupOptions();
            options.Validate();
            await PrepareAsync(source, cancellationToken).ConfigureAwait(false);
            return await BackupPreparedAsync(source, options, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<BackupResult> BackupPreparedAsync(IBackupSource source, BackupOptions options, IProgress<BackupProgress>? progress, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var startTime = _time.GetLocalNow();
        var hostname = options.Hostname ?? Environment.MachineName;
        // A shared lock: backups never wait for each other, only for an exclusive prune or repair.
        // The index was loaded before the lock was taken (at open, or by an earlier backup of a long-lived repository):
        // a prune since then may have deleted packs it names, and deduplicating against those would write a snapshot
        // that references deleted data. The operation refreshes it under the lock, where no prune can start.
        await using var operation = await _repository.BeginOperationAsync(LockKind.Shared, "backup", refreshIndex: true, _time, cancellationToken).ConfigureAwait(false);
        var parent = await FindParentAsync(source, hostname, options.Level, cancellationToken).ConfigureAwait(false);
        var level = parent is null ? BackupLevel.Full : options.Level;
        var context = new SourceContext();
        using var run = new Run(_repository, context, progress, _time, started, options.FilesInFlight ?? Environment.ProcessorCount);
        await using var counting = run.StartCounting(source, cancellationToken);

        // Given the lock, the writer checks it before the index and the snapshot are stored (the lock may lapse while
        // this process is stopped or suspended, and a prune elsewhere may then delete data this snapshot references).
        await using var writer = operation.CreateWriter(options.EncodeWorkers ?? Environment.ProcessorCount, cancellationToken);
        run.Writer = writer;
        var frames = new Stack<Frame>();
        frames.Push(new Frame(string.Empty, null, parent is null ? null : run.LoadChildrenAsync(parent.Tree, cancellationToken)));
        await foreach (var entry in source.ReadEntriesAsync(context, cancellationToken).ConfigureAwait(false))
        {
            var parentPath = ParentOf(entry.Path);
            while (frames.Peek().Path != parentPath)
            {
                if (frames.Count == 1)
                {
                    throw new InvalidOperationException($"Source '{source.Kind}' yielded '{entry.Path}' outside the directory being read; entries must come depth-first.");
                }

                await CloseAsync(frames, run, cancellationToken).ConfigureAwait(false);
            }

            var top = frames.Peek();
            switch (entry.Metadata.Type)
            {
                case NodeType.Directory:
                    var previous = await top.FindPreviousAsync(entry.Metadata.Name).ConfigureAwait(false);
                    frames.Push(new Frame(entry.Path, entry.Metadata, previous?.Subtree is { } subtree ? run.LoadChildrenAsync(subtree, cancellationToken) : null));
                    break;
                case NodeType.File:
                    var unchanged = await top.FindPreviousAsync(entry.Metadata.Name).ConfigureAwait(false);
                    top.Children.Add(await run.StartFileAsync(entry, unchanged, cancellationToken).ConfigureAwait(false));
                    break;
                default:
                    top.Children.Add(Task.FromResult<TreeNode?>(entry.Metadata));
                    run.EntryDone(entry.Path, 0, 0);
                    break;
            }
        }

        while (frames.Count > 1)
        {
            await CloseAsync(frames, run, cancellationToken).ConfigureAwait(false);
        }

        var rootTree = await run.StoreTreeAsync(frames.Pop(), cancellationToken).ConfigureAwait(false);
        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);

        var problems = context.Problems.ToList();
        var metadata = await RecordedMetadataAsync(source, options, cancellationToken).ConfigureAwait(false);
        if (run.FilesReused == 0)
        {
            // Everything was read again, so by what a level means this is a Full: always so for a database dump or a
            // stream, whose content has no metadata to trust. Labelled as asked, it would pass for a chain link.
            (level, parent) = (BackupLevel.Full, null);
        }

        var snapshot = new Snapshot
        {
            Time = startTime,
            Hostname = hostname,
            Username = Environment.UserName,
            Tags = options.Tags,
            SourceKind = source.Kind,
            Paths = source.Paths,
            Level = level,
            Parent = parent?.Id,
            Tree = rootTree,
            Partial = problems.Count > 0,
            Problems = [.. problems.Select(p => p.ToString())],
            Metadata = metadata,
            Statistics = run.Statistics(writer, problems.Count),
        };
        snapshot = await _repository.Snapshots.SaveAsync(snapshot, writer, cancellationToken).ConfigureAwait(false);
        run.ReportNow();
        return new BackupResult { Snapshot = snapshot, Problems = problems, MissingPacks = _repository.Blobs.MissingPacks.Count };
    }

    /// <summary>The snapshot whose metadata a backup at <paramref name="level"/> would trust, or null (then the backup runs as Full).</summary>
    public async Task<Snapshot?> FindParentAsync(IBackupSource source, string hostname, BackupLevel level, CancellationToken cancellationToken = default)
    {
        if (level == BackupLevel.Full)
        {
            return null;
        }

        var paths = source.Paths.Order(StringComparer.Ordinal).ToList();
        Snapshot? found = null;
        await foreach (var snapshot in _repository.Snapshots.ListAsync(static (_, _) => { }, cancellationToken).ConfigureAwait(false))
        {
            // A partial snapshot is a fine reference: content is reused per file, and a file it lacks is just read again.
            if (snapshot.SourceKind == source.Kind && snapshot.Hostname == hostname
                && snapshot.Paths.Order(StringComparer.Ordinal).SequenceEqual(paths, StringComparer.Ordinal)
                && (level == BackupLevel.Incremental || snapshot.Level == BackupLevel.Full))
            {
                found = snapshot;
            }
        }

        return found;
    }

    /// <summary>Prepares <paramref name="source"/>; a failure (connection refused, bad password, missing tools) means the source failed as a whole.</summary>
    private static async Task PrepareAsync(IBackupSource source, CancellationToken cancellationToken)
    {
        try
        {
            await source.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not BackupSourceException and not ArgumentException)
        {
            throw new BackupSourceException($"{source.Kind} backup could not start: {ex.Message}", ex);
        }
    }

    /// <summary>The source's facts with the caller's metadata over them.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> RecordedMetadataAsync(IBackupSource source, BackupOptions options, CancellationToken cancellationToken)
    {
        var facts = await source.GetSnapshotMetadataAsync(cancellationToken).ConfigureAwait(false);

        // A reader refuses a snapshot with a null metadata value as damaged: better no snapshot than one no one can read.
        if (facts.FirstOrDefault(f => f.Value is null) is { Key: { } nullFact })
        {
            throw new BackupSourceException($"{source.Kind} backup recorded no value (null) for its fact '{nullFact}', so no snapshot was written: a fault of the source, to be reported to its author.");
        }

        if (facts.Count == 0)
        {
            return options.Metadata ?? new Dictionary<string, string>();
        }

        var metadata = new Dictionary<string, string>(facts, StringComparer.Ordinal);
        foreach (var (key, value) in options.Metadata ?? new Dictionary<string, string>())
        {
            metadata[key] = value;
        }

        return metadata;
    }

    private static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }

    private static async Task CloseAsync(Stack<Frame> frames, Run run, CancellationToken cancellationToken)
    {
        var frame = frames.Pop();
        var subtree = await run.StoreTreeAsync(frame, cancellationToken).ConfigureAwait(false);
        frames.Peek().Children.Add(Task.FromResult<TreeNode?>(frame.Metadata! with { Subtree = subtree, Content = null }));
        run.EntryDone(frame.Path, 0, 0);
        run.CountDirectory();
    }

    /// <summary>An open directory: its children so far and, for Incremental and Differential, its entries in the parent snapshot.</summary>
    private sealed class Frame(string path, TreeNode? metadata, Task<Dictionary<string, TreeNode>>? previous)
    {
        public string Path { get; } = path;

        public TreeNode? Metadata { get; } = metadata;

        public List<Task<TreeNode?>> Children { get; } = [];

        public async ValueTask<TreeNode?> FindPreviousAsync(string name) =>
            previous is null ? null : (await previous.ConfigureAwait(false)).GetValueOrDefault(name);
    }

    /// <summary>The state of one run: the writer, counters, and the limit on files read at once.</summary>
    private sealed class Run(BackupRepository repository, SourceContext context, IProgress<BackupProgress>? progress, TimeProvider time, long started, int filesInFlight) : IDisposable
    {
        private readonly SemaphoreSlim _slots = new(filesInFlight, filesInFlight);
        private long _files, _directories, _filesRead, _totalBytes, _bytesRead, _lastReport;
        private string? _currentPath;
        private SourceTotals? _sourceTotals;

        public RepositoryWriter Writer { get; set; } = null!;

        public async Task<Dictionary<string, TreeNode>> LoadChildrenAsync(BlobId tree, CancellationToken cancellationToken)
        {
            try
            {
                var loaded = await repository.Snapshots.LoadTreeAsync(tree, cancellationToken).ConfigureAwait(false);
                return loaded.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
            }
            catch (RepositoryCorruptException)
            {
                // An unreadable parent only means everything below is read again.
                return [];
            }
        }

        public async Task<Task<TreeNode?>> StartFileAsync(SourceEntry entry, TreeNode? previous, CancellationToken cancellationToken)
        {
            if (previous is not null && IsUnchanged(entry.Metadata, previous) && Writer.CanReuse(previous.Content!))
            {
                Writer.NoteReused(previous.Content!);
                EntryDone(entry.Path, previous.Size, 0);
                Interlocked.Add(ref _totalBytes, previous.Size);
                Interlocked.Increment(ref _files);
                return Task.FromResult<TreeNode?>(entry.Metadata with { Content = previous.Content, Size = previous.Size });
            }

            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return StoreFileAsync(entry, cancellationToken);
        }

        public async Task<BlobId> StoreTreeAsync(Frame frame, CancellationToken cancellationToken)
        {
            var nodes = new List<TreeNode>(frame.Children.Count);
            foreach (var child in frame.Children)
            {
                if (await child.ConfigureAwait(false) is { } node)
                {
                    nodes.Add(node);
                }
            }

            nodes.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var bytes = TreeCodec.Serialize(new Tree(nodes));
            return await Writer.AddBlobAsync(bytes, BlobType.Tree, cancellationToken).ConfigureAwait(false);
        }

        public void CountDirectory() => Interlocked.Increment(ref _directories);

        /// <summary>
        /// Counts the source's files and bytes alongside the backup when someone watches the progress and the source can
        /// be counted; disposing of the result stops the count. The count never fails or delays the backup: its errors
        /// are dropped, and until it ends the progress simply has no totals.
        /// </summary>
        public IAsyncDisposable StartCounting(IBackupSource source, CancellationToken cancellationToken)
        {
            if (progress is null || source is not ICountableSource countable)
            {
                return new Count(null, Task.CompletedTask);
            }

            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            return new Count(stop, CountAsync(countable, stop.Token));
        }

        private async Task CountAsync(ICountableSource countable, CancellationToken cancellationToken) =>
            Volatile.Write(ref _sourceTotals, await countable.CountAsync(cancellationToken).ConfigureAwait(false));

        public void Dispose() => _slots.Dispose();

        /// <summary>Files whose content was taken from the reference snapshot instead of read.</summary>
        public long FilesReused => Interlocked.Read(ref _files) - Interlocked.Read(ref _filesRead);

        public SnapshotStatistics Statistics(RepositoryWriter writer, int errors) => new()
        {
            Files = Interlocked.Read(ref _files),
            Directories = Interlocked.Read(ref _directories),
            FilesRead = Interlocked.Read(ref _filesRead),
            TotalBytes = Interlocked.Read(ref _totalBytes),
            BytesRead = Interlocked.Read(ref _bytesRead),
            BlobsAdded = writer.BlobsAdded,
            BytesAdded = writer.BytesAdded,
            BytesStored = writer.BytesStored,
            Errors = errors,
            Duration = time.GetElapsedTime(started),
        };

        public void EntryDone(string path, long bytesProcessed, long bytesRead)
        {
            _currentPath = path;
            if (progress is null)
            {
                return;
            }

            var now = time.GetTimestamp();
            var last = Interlocked.Read(ref _lastReport);
            if (time.GetElapsedTime(last, now) >= TimeSpan.FromMilliseconds(100) && Interlocked.CompareExchange(ref _lastReport, now, last) == last)
            {
                ReportNow();
            }
        }

        public void ReportNow()
        {
            if (progress is null)
            {
                return;
            }

            var totals = Volatile.Read(ref _sourceTotals);
            progress.Report(new BackupProgress
            {
                Files = Interlocked.Read(ref _files),
                BytesProcessed = Interlocked.Read(ref _totalBytes),
                BytesRead = Interlocked.Read(ref _bytesRead),
                BytesStored = Writer.BytesStored,
                CurrentPath = _currentPath,
                Elapsed = time.GetElapsedTime(started),
                TotalFiles = totals?.Files,
                TotalBytes = totals?.Bytes,
            });
        }

        /// <summary>A count in flight: disposing of it stops it and waits for it, dropping whatever it failed with.</summary>
        private sealed class Count(CancellationTokenSource? stop, Task counting) : IAsyncDisposable
        {
            public async ValueTask DisposeAsync()
            {
                if (stop is null)
                {
                    return;
                }

                await stop.CancelAsync().ConfigureAwait(false);
                // Only an estimate for the progress: its failure or cancellation is none of the backup's.
                await counting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                stop.Dispose();
            }
        }

        private static bool IsUnchanged(TreeNode current, TreeNode previous) =>
            previous.Type == NodeType.File && previous.Content is not null
            && current.Size == previous.Size && current.MtimeNs == previous.MtimeNs
            && current.CtimeNs == previous.CtimeNs && current.Inode == previous.Inode;

        private async Task<TreeNode?> StoreFileAsync(SourceEntry entry, CancellationToken cancellationToken)
        {
            try
            {
                if (entry.OpenContentAsync is null)
                {
                    return entry.Metadata with { Content = [], Size = 0 };
                }

                System.IO.Pipelines.PipeReader reader;
                try
                {
                    reader = await entry.OpenContentAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    if (entry.IsWholeSource)
                    {
                        throw new BackupSourceException($"'{entry.Path}' could not be opened, so no snapshot was saved: {ex.Message}", ex);
                    }

                    context.ReportProblem(entry.ReportedPath, ex.Message);
                    return null;
                }

                var content = new List<BlobId>();
                long size = 0;
                // What a failure reports: the bytes read from the source, which run ahead of those cut into chunks
                // (up to a maximum chunk), so a file that failed early was said to fail "after 0 bytes".
                long read = 0;
                // Set while a chunk is stored: a failure then is the repository's (a full disk), which the writer reports
                // itself, not the source's.
                var storing = false;
                try
                {
                    await foreach (var chunk in ContentChunker.ReadChunksAsync(reader, repository.Chunker, repository.Blobs.BufferPool, taken => read += taken, cancellationToken).ConfigureAwait(false))
                    {
                        storing = true;
                        content.Add(await Writer.AddBlobAsync(chunk, BlobType.Data, entry.PreferFastCompression, cancellationToken).ConfigureAwait(false));
                        storing = false;
                        size += chunk.Length;
                        Interlocked.Add(ref _bytesRead, chunk.Length);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not Storage.BackupTargetException)
                {
                    if (entry.IsWholeSource && !storing)
                    {
                        throw new BackupSourceException($"'{entry.Path}' failed while it was read, so no snapshot was saved: {ex.Message}", ex);
                    }

                    context.ReportProblem(entry.ReportedPath, $"read failed after {read} bytes: {ex.Message}");
                    return null;
                }

                if (entry.CompleteAsync is not null)
                {
                    try
                    {
                        await entry.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException and not BackupSourceException)
                    {
                        throw new BackupSourceException($"'{entry.Path}' did not complete: {ex.Message}", ex);
                    }
                }

                var metadata = entry.Metadata;
                if (entry.RestatAsync is not null)
                {
                    var after = await entry.RestatAsync(cancellationToken).ConfigureAwait(false);
                    if (after is null)
                    {
                        context.ReportProblem(entry.ReportedPath, "the file vanished while being read");
                    }
                    else if (after.Size != size || after.MtimeNs != metadata.MtimeNs || after.CtimeNs != metadata.CtimeNs || after.Inode != metadata.Inode)
                    {
                        context.ReportProblem(entry.ReportedPath, $"the file changed while being read (size {metadata.Size} -> {after.Size}); the stored copy may be inconsistent");
                    }
                }

                Interlocked.Increment(ref _files);
                Interlocked.Increment(ref _filesRead);
                Interlocked.Add(ref _totalBytes, size);
                EntryDone(entry.Path, size, size);
                return metadata with { Content = content, Size = size };
            }
            finally
            {
                _slots.Release();
            }
        }
    }
}
