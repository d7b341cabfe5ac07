using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Backup.Core.Buffers;
using Backup.Core.Diagnostics;
using Backup.Core.Maintenance;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Repository.Blobs;
using Backup.Core.Repository.Keys;
using Backup.Core.Repository.Locks;

namespace Backup.Core.Verification;

/// <summary>
/// Proves a repository can be restored from: <see cref="CheckAsync"/> verifies its structure (and, on request, every
/// stored byte); <see cref="RestoreDrillAsync"/> restores a snapshot into scratch space and measures how long it took.
/// Both hold a shared lock, so they run beside backups but never beside prune or repair.
/// </summary>
public sealed class VerificationService
{
    /// <summary>Trees chosen before the ones chosen are read: bounds the trees held in memory at once.</summary>
    private const int TreeBatchSize = 256;

    /// <summary>Trees read at once (each a ranged read), enough to hide a remote store's latency.</summary>
    private const int TreeReadParallelism = 8;

    private readonly BackupRepository _repository;
    private readonly TimeProvider _time;
    private readonly BackupDiagnostics _diagnostics;

    /// <summary>Verifies <paramref name="repository"/>; <paramref name="time"/> drives durations, lock times and the rotating read-data window; reports to <paramref name="diagnostics"/> (<see cref="BackupDiagnostics.Default"/> when null).</summary>
    public VerificationService(BackupRepository repository, TimeProvider? time = null, BackupDiagnostics? diagnostics = null)
    {
        _diagnostics = diagnostics ?? BackupDiagnostics.Default;
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Checks the configuration, keys, index objects, pack headers against the index, every snapshot and its
    /// complete tree, and, when asked, downloads packs and verifies every blob in them.
    /// </summary>
    /// <returns>What was covered and every problem found; <see cref="CheckResult.IsSuccess"/> when no errors.</returns>
    /// <exception cref="RepositoryLockedException">Prune or repair holds the repository.</exception>
    public Task<CheckResult> CheckAsync(CheckOptions options, IProgress<CheckProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _diagnostics.RunAsync("check", _repository.Location, () => RunCheckAsync(options, progress, cancellationToken), (operation, result) => operation.CheckCompleted(result));

    private async Task<RepositoryOperation> BeginCheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _repository.BeginOperationAsync(LockKind.Shared, "check", refreshIndex: false, _time, cancellationToken).ConfigureAwait(false);
        }
        // A refused write (read-only media, no permission, a full disk), not a storage that cannot be reached or trusted.
        catch (Exception ex) when (ex is UnauthorizedAccessException or StorageFullException or BackupTargetException { InnerException: IOException or UnauthorizedAccessException })
        {
            throw new RepositoryLockNotWritableException(
                $"A check holds a shared lock so that no prune deletes what it reads, and the lock could not be written to {_repository.Location} ({ex.Message}). " +
                "For a repository that cannot be written (read-only media), check without it (CheckOptions.Lock = false).", _repository.Location, ex);
        }
    }

    private async Task<CheckResult> RunCheckAsync(CheckOptions options, IProgress<CheckProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = _time.GetTimestamp();
        // Check reads the index objects itself and reports damaged ones: no refresh.
        await using var operation = options.Lock ? await BeginCheckAsync(cancellationToken).ConfigureAwait(false) : null;
        var problems = new ConcurrentQueue<CheckProblem>();

        try
        {
            await _repository.ReadStoredConfigAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryException ex)
        {
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.ConfigUnreadable, Object = RepositoryLayout.Config, Message = ex.Message });
        }

        await CheckKeysAsync(problems, cancellationToken).ConfigureAwait(false);

        progress?.Report(new CheckProgress { Phase = "index", Done = 0, Total = 0, BytesRead = 0 });
        var scan = await RepositoryScan.RunAsync(_repository, readIndexes: true, cancellationToken).ConfigureAwait(false);
        ReportScan(scan, problems);

        var packsChecked = await CheckPackHeadersAsync(scan, problems, progress, cancellationToken).ConfigureAwait(false);
        await CheckCopiesAsync(scan, problems, verifyDuplicates: !options.ReadData, progress, cancellationToken).ConfigureAwait(false);
        var (snapshots, trees, dataBlobs) = await CheckSnapshotsAsync(scan, problems, progress, cancellationToken).ConfigureAwait(false);

        var read = new DataReadCounters();
        IReadOnlyList<BlobId> toRead = options.ReadData
            ? [.. scan.Listings.Keys.Order()]
            : options.Subset?.Select(scan.Listings.Keys.ToDictionary(p => p, p => scan.PackObjects[p].Length), DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime)) ?? [];
        if (toRead.Count > 0)
        {
            await ReadPacksAsync(scan, toRead, options.Parallelism, problems, read, progress, cancellationToken).ConfigureAwait(false);
        }

        return new CheckResult
        {
            Snapshots = snapshots,
            Trees = trees,
            DataBlobs = dataBlobs,
            Indexes = scan.IndexIds.Count,
            Packs = packsChecked,
            PacksRead = read.Packs,
            BlobsRead = read.Blobs,
            BytesRead = read.Bytes,
            Problems = [.. problems],
            Duration = _time.GetElapsedTime(started),
        };
    }

    /// <summary>
    /// Restores every file of a snapshot into a scratch directory, compares each restored file's size and
    /// SHA-256 with the snapshot (the node's size and a hash of its chunks as read from the repository), deletes the
    /// scratch directory, and reports the time it took: the recovery time actually achieved.
    /// </summary>
    /// <exception cref="RepositoryException">No snapshot matches the options.</exception>
    /// <exception cref="RepositoryLockedException">Prune or repair holds the repository.</exception>
    public Task<DrillResult> RestoreDrillAsync(DrillOptions options, CancellationToken cancellationToken = default) =>
        _diagnostics.RunAsync("drill", _repository.Location, () => RunRestoreDrillAsync(options, cancellationToken), (operation, result) => operation.DrillCompleted(result));

    private async Task<DrillResult> RunRestoreDrillAsync(DrillOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Restoring reads through the index: loaded (when opened with OpenWithoutIndexAsync, as check allows) or
        // brought up to date under the lock.
        await using var operation = await _repository.BeginOperationAsync(LockKind.Shared, "restore drill", refreshIndex: true, _time, cancellationToken).ConfigureAwait(false);
        var snapshot = await PickSnapshotAsync(options, cancellationToken).ConfigureAwait(false);

        var scratch = Path.Combine(options.ScratchDirectory ?? Path.GetTempPath(), "backup-drill-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        var drill = new DrillRun(_repository);
        var started = _time.GetTimestamp();
        try
        {
            // Owner-only: the drill writes every file of the snapshot below it with default permissions (a 0600 key
            // in a 0700 directory comes out 0644 in 0755), and the temporary directory is listed by every user.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(scratch);
            }
            else
            {
                Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            await drill.RestoreTreeAsync(snapshot.Tree, scratch, string.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Nothing was created.
            }
        }

        return new DrillResult
        {
            SnapshotId = snapshot.Id,
            SnapshotTime = snapshot.Time,
            Files = drill.Files,
            Directories = drill.Directories,
            Bytes = drill.Bytes,
            Duration = _time.GetElapsedTime(started),
            Problems = [.. drill.Problems],
        };
    }

    private async Task<Snapshot> PickSnapshotAsync(DrillOptions options, CancellationToken cancellationToken)
    {
        if (options.RandomWithin is not { } window)
        {
            return await _repository.Snapshots.FindAsync(options.Snapshot ?? "latest", cancellationToken).ConfigureAwait(false);
        }

        var since = _time.GetUtcNow() - window;
        var candidates = new List<Snapshot>();
        await foreach (var snapshot in _repository.Snapshots.ListAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.Time >= since)
            {
                candidates.Add(snapshot);
            }
        }

        return candidates.Count == 0
            ? throw new RepositoryException($"No snapshot in {_repository.Location} was taken in the last {window}.")
            : candidates[Random.Shared.Next(candidates.Count)];
    }

    private async Task CheckKeysAsync(ConcurrentQueue<CheckProblem> problems, CancellationToken cancellationToken)
    {
        foreach (var (key, message) in await _repository.Keys.FindUnusableAsync(cancellationToken).ConfigureAwait(false))
        {
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.KeyDamaged, Object = key, Message = message });
        }
    }

    private static void ReportScan(RepositoryScan scan, ConcurrentQueue<CheckProblem> problems)
    {
        foreach (var (key, message) in scan.DamagedIndexes)
        {
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.IndexDamaged, Object = key, Message = $"Index object does not decode: {message}. Run repair index." });
        }

        foreach (var (pack, indexKey) in scan.MissingPacks)
        {
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.PackMissing, Object = RepositoryLayout.PackKey(pack), Message = $"Pack listed by {indexKey} is not in data/." });
        }

        foreach (var (pack, message) in scan.UnreadablePacks)
        {
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.PackDamaged, Object = RepositoryLayout.PackKey(pack), Message =
                $"Pack is in no index and its header cannot be read ({message.TrimEnd().TrimEnd('.')}): likely torn by a writer that died. Repair index removes it now; " +
                "prune removes it once it is older than the grace period for unindexed packs (a day by default), as a backup may still be writing it." });
        }

        foreach (var key in scan.StrayObjects)
        {
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.StrayObject, Object = key, Message = "Object under data/ is not named like a pack.", Severity = ProblemSeverity.Warning });
        }

        foreach (var listing in scan.Listings.Values.Where(l => l.IndexKey is null))
        {
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.UnindexedPack, Object = RepositoryLayout.PackKey(listing.Pack), Message = $"Pack of {listing.Entries.Count} {(listing.Entries.Count == 1 ? "blob" : "blobs")} is in no index (a writer stopped before writing it, or prune could not delete it under a retention lock); its header is intact.", Severity = ProblemSeverity.Warning });
        }
    }

    private async Task<long> CheckPackHeadersAsync(RepositoryScan scan, ConcurrentQueue<CheckProblem> problems, IProgress<CheckProgress>? progress, CancellationToken cancellationToken)
    {
        var indexed = scan.Listings.Values.Where(l => l.IndexKey is not null).ToList();
        long done = 0;
        await Parallel.ForEachAsync(indexed, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (listing, ct) =>
        {
            var info = scan.PackObjects[listing.Pack];
            var key = info.Key;
            List<PackHeaderEntry> header;
            long blobAreaEnd;
            try
            {
                PackFormat.CheckPackLength(key, info.Length);
                (header, blobAreaEnd) = await _repository.Blobs.ReadPackLayoutAsync(info, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or BackupTargetException)
            {
                problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.PackDamaged, Object = key, Message = $"Pack header cannot be read: {ex.Message}" });
                return;
            }

            var fromHeader = header.ToDictionary(e => e.Id);
            string? mismatch = header.Count != listing.Entries.Count ? $"the header lists {header.Count} blobs, {listing.IndexKey} lists {listing.Entries.Count}" : null;
            foreach (var entry in listing.Entries)
            {
                if ((long)entry.Offset + entry.Length > blobAreaEnd)
                {
                    problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.IndexEntryOutOfRange, Object = key, Message = $"{listing.IndexKey} places blob {entry.Id.ToShortString()} at {entry.Offset}+{entry.Length}, beyond the pack's blobs (which end at {blobAreaEnd})." });
                }
                else if (mismatch is null && (!fromHeader.TryGetValue(entry.Id, out var actual) || actual != entry))
                {
                    mismatch = $"blob {entry.Id.ToShortString()} is listed by {listing.IndexKey} as {entry.Type} {entry.Offset}+{entry.Length} but the header says {(fromHeader.TryGetValue(entry.Id, out var h) ? $"{h.Type} {h.Offset}+{h.Length}" : "nothing")}";
                }
            }

            if (mismatch is not null)
            {
                problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.PackHeaderMismatch, Object = key, Message = $"Pack header disagrees with the index: {mismatch}. Run repair index." });
            }

            progress?.Report(new CheckProgress { Phase = "packs", Done = Interlocked.Increment(ref done), Total = indexed.Count, BytesRead = 0 });
        }).ConfigureAwait(false);
        return scan.PackObjects.Count;
    }

    /// <summary>
    /// Index entries are claims: an index that agrees with a pack's header can still point a blob at junk (someone
    /// who may only add objects adds a pack holding junk under real blob IDs, and an index pointing every blob at
    /// it, after which prune would judge the real packs unused). Rejects entries too short to be an encrypted blob
    /// and, unless every blob is read anyway, reads every copy of each blob stored more than once.
    /// </summary>
    private async Task CheckCopiesAsync(RepositoryScan scan, ConcurrentQueue<CheckProblem> problems, bool verifyDuplicates, IProgress<CheckProgress>? progress, CancellationToken cancellationToken)
    {
        var tooShort = new HashSet<(BlobId, uint)>();
        foreach (var listing in scan.Listings.Values)
        {
            foreach (var entry in listing.Entries.Where(e => e.Length < BlobCopies.MinimumStoredLength))
            {
                tooShort.Add((listing.Pack, entry.Offset));
                problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.BlobDamaged, Object = RepositoryLayout.PackKey(listing.Pack), Message = $"{listing.IndexKey ?? "The pack header"} lists blob {entry.Id.ToShortString()} as {entry.Length} stored bytes at {entry.Offset}; no encrypted blob is shorter than {BlobCopies.MinimumStoredLength}. Run repair index." });
            }
        }

        if (!verifyDuplicates)
        {
            return;
        }

        var duplicates = BlobCopies.FindDuplicates(scan.Index);
        if (duplicates.Count == 0)
        {
            return;
        }

        progress?.Report(new CheckProgress { Phase = "copies", Done = 0, Total = duplicates.Count, BytesRead = 0 });
        var copies = duplicates.Values.SelectMany(c => c).Where(c => !tooShort.Contains((c.Pack, c.Entry.Offset)));
        foreach (var (copy, error) in await BlobCopies.VerifyAllAsync(_repository, copies, cancellationToken).ConfigureAwait(false))
        {
            var count = duplicates[copy.Entry.Id].Count;
            problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.BlobDamaged, Object = RepositoryLayout.PackKey(copy.Pack), Message = $"Blob {copy.Entry.Id.ToShortString()} is stored {count} times; the copy in this pack at {copy.Entry.Offset}+{copy.Entry.Length} does not decode ({error}). An index may point readers at it: run repair index." });
        }
    }

    private async Task<(long Snapshots, long Trees, long DataBlobs)> CheckSnapshotsAsync(RepositoryScan scan, ConcurrentQueue<CheckProblem> problems, IProgress<CheckProgress>? progress, CancellationToken cancellationToken)
    {
        var snapshots = new List<Snapshot>();
        await foreach (var snapshot in _repository.Snapshots.ListAsync((key, ex) => problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.SnapshotDamaged, Object = key, Message = ex.Message }), cancellationToken).ConfigureAwait(false))
        {
            snapshots.Add(snapshot);
        }

        // Trees and chunks shared between snapshots are checked once. What is wrong is recorded per tree (a tree
        // missing or damaged, a file missing chunks), with every link from a tree to a subtree (two ordinals, 8 bytes),
        // so that afterwards every snapshot reaching damage is named at each path that reaches it.
        var marks = new BlobMarks(scan.Index.Count);
        var damage = new TreeDamage();
        long trees = 0, dataBlobs = 0, done = 0;
        var batch = new List<(BlobId Tree, int Ordinal)>(TreeBatchSize);
        var loaded = new (Tree? Tree, string? Error)[TreeBatchSize];
        foreach (var snapshot in snapshots)
        {
            var pending = new Stack<(BlobId Tree, int Parent)>();
            pending.Push((snapshot.Tree, -1));
            while (pending.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Trees are one ranged read each: a batch is chosen in walk order, read several at once, then checked in order.
                batch.Clear();
                while (pending.Count > 0 && batch.Count < TreeBatchSize)
                {
                    var (treeId, parent) = pending.Pop();
                    if (!scan.Index.TryGetOrdinal(treeId, out var ordinal, out _))
                    {
                        damage.Broken[treeId] = "missing from the index";
                        if (parent >= 0)
                        {
                            damage.Seeds.Add(parent);
                        }

                        continue;
                    }

                    if (parent >= 0)
                    {
                        damage.Links.Add(((long)parent << 32) | (uint)ordinal);
                    }

                    if (marks.TryMark(ordinal))
                    {
                        batch.Add((treeId, ordinal));
                    }
                }

                await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), new ParallelOptions { MaxDegreeOfParallelism = TreeReadParallelism, CancellationToken = cancellationToken }, async (i, ct) =>
                {
                    try
                    {
                        loaded[i] = (await scan.LoadTreeAsync(batch[i].Tree, ct).ConfigureAwait(false), null);
                    }
                    catch (RepositoryCorruptException ex)
                    {
                        loaded[i] = (null, ex.Message);
                    }
                }).ConfigureAwait(false);

                for (var b = 0; b < batch.Count; b++)
                {
                    var (treeId, ordinal) = batch[b];
                    var (tree, error) = loaded[b];
                    loaded[b] = default;
                    if (tree is null)
                    {
                        damage.Broken[treeId] = "damaged: " + error;
                        damage.Seeds.Add(ordinal);
                        continue;
                    }

                    trees++;
                    foreach (var node in tree.Nodes)
                    {
                        if (node.Subtree is { } subtree)
                        {
                            pending.Push((subtree, ordinal));
                        }

                        var missing = 0;
                        BlobId firstMissing = default;
                        foreach (var chunk in node.Content ?? [])
                        {
                            if (!scan.Index.TryGetOrdinal(chunk, out var chunkOrdinal, out _))
                            {
                                if (missing++ == 0)
                                {
                                    firstMissing = chunk;
                                }
                            }
                            else if (marks.TryMark(chunkOrdinal))
                            {
                                dataBlobs++;
                            }
                        }

                        if (missing > 0)
                        {
                            damage.AddFile(treeId, node.Name, $"misses {missing} of its {node.Content!.Count} chunks (first {firstMissing.ToShortString()})");
                            damage.Seeds.Add(ordinal);
                        }
                    }
                }
            }

            progress?.Report(new CheckProgress { Phase = "snapshots", Done = ++done, Total = snapshots.Count, BytesRead = 0 });
        }

        if (damage.Broken.Count > 0 || damage.Files.Count > 0)
        {
            await ReportDamageAsync(scan, snapshots, damage, problems, cancellationToken).ConfigureAwait(false);
        }

        return (snapshots.Count, trees, dataBlobs);
    }

    /// <summary>
    /// Names every snapshot that reaches damage, at each path it reaches it by: a tree shared by later snapshots is
    /// checked only once, but a restore of any of them would miss what it misses. Runs only when something was found:
    /// the trees that lead to damage are marked from the recorded links, upwards without recursion, and only they are
    /// read again (for the names of their entries).
    /// </summary>
    private static async Task ReportDamageAsync(RepositoryScan scan, List<Snapshot> snapshots, TreeDamage damage, ConcurrentQueue<CheckProblem> problems, CancellationToken cancellationToken)
    {
        var parents = new Dictionary<int, List<int>>();
        foreach (var link in damage.Links)
        {
            var child = (int)(uint)link;
            if (!parents.TryGetValue(child, out var list))
            {
                parents[child] = list = [];
            }

            list.Add((int)(link >> 32));
        }

        var leads = new BlobMarks(scan.Index.Count);
        var rising = new Stack<int>(damage.Seeds);
        while (rising.Count > 0)
        {
            var ordinal = rising.Pop();
            if (leads.TryMark(ordinal))
            {
                foreach (var parent in parents.GetValueOrDefault(ordinal) ?? [])
                {
                    rising.Push(parent);
                }
            }
        }

        var read = new Dictionary<BlobId, IReadOnlyList<TreeNode>>();
        foreach (var snapshot in snapshots)
        {
            var snapshotKey = RepositoryLayout.SnapshotKey(snapshot.Id);
            var pending = new Stack<(BlobId Tree, string Path)>();
            pending.Push((snapshot.Tree, "/"));
            while (pending.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (treeId, path) = pending.Pop();
                if (damage.Broken.TryGetValue(treeId, out var why))
                {
                    problems.Enqueue(new CheckProblem { Kind = why.StartsWith("missing", StringComparison.Ordinal) ? CheckProblemKind.TreeMissing : CheckProblemKind.TreeDamaged, Object = snapshotKey, Message = $"Tree {treeId.ToShortString()} of '{path}' is {why}." });
                    continue;
                }

                if (!scan.Index.TryGetOrdinal(treeId, out var ordinal, out _) || !leads.IsMarked(ordinal))
                {
                    continue;
                }

                foreach (var (name, what) in damage.Files.GetValueOrDefault(treeId) ?? [])
                {
                    problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.BlobMissing, Object = snapshotKey, Message = $"File '{path}{name}' {what}." });
                }

                if (!read.TryGetValue(treeId, out var nodes))
                {
                    try
                    {
                        read[treeId] = nodes = (await scan.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false)).Nodes;
                    }
                    catch (RepositoryCorruptException ex)
                    {
                        // Read once already; unreadable now (storage changed meanwhile): as damaged as it would have been then.
                        damage.Broken[treeId] = "damaged: " + ex.Message;
                        pending.Push((treeId, path));
                        continue;
                    }
                }

                foreach (var node in nodes)
                {
                    if (node.Subtree is { } subtree && (damage.Broken.ContainsKey(subtree) || (scan.Index.TryGetOrdinal(subtree, out var child, out _) && leads.IsMarked(child))))
                    {
                        pending.Push((subtree, $"{path}{node.Name}/"));
                    }
                }
            }
        }
    }

    /// <summary>What the walk of the snapshots found wrong, per tree, and how trees link.</summary>
    private sealed class TreeDamage
    {
        /// <summary>Trees missing from the index or unreadable, with why ("missing from the index", "damaged: …").</summary>
        public Dictionary<BlobId, string> Broken { get; } = [];

        /// <summary>Per tree, its files that miss chunks, with what they miss.</summary>
        public Dictionary<BlobId, List<(string Name, string What)>> Files { get; } = [];

        /// <summary>The ordinals of trees that hold damage themselves: a damaged or missing subtree, or a file missing chunks.</summary>
        public HashSet<int> Seeds { get; } = [];

        /// <summary>Every link from a tree to a subtree, as parent ordinal (high 32 bits) and child ordinal.</summary>
        public List<long> Links { get; } = [];

        public void AddFile(BlobId tree, string name, string what)
        {
            if (!Files.TryGetValue(tree, out var files))
            {
                Files[tree] = files = [];
            }

            files.Add((name, what));
        }
    }

    private async Task ReadPacksAsync(RepositoryScan scan, IReadOnlyList<BlobId> packs, int parallelism, ConcurrentQueue<CheckProblem> problems, DataReadCounters read, IProgress<CheckProgress>? progress, CancellationToken cancellationToken)
    {
        // Each pack is streamed front to back through a bounded window (a few large reads, not a ranged read per
        // blob), hashed as it arrives and its blobs decoded from the window: memory stays bounded by the window.
        await Parallel.ForEachAsync(packs, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (pack, ct) =>
        {
            var key = RepositoryLayout.PackKey(pack);
            IReadOnlyList<PackHeaderEntry> entries = scan.Listings.TryGetValue(pack, out var listing) ? listing.Entries : [];
            var damaged = 0;
            PackStreamOutcome outcome;
            try
            {
                outcome = await PackStreamVerifier.VerifyAsync(_repository.Blobs, pack, scan.PackObjects[pack].Length, entries, (entry, message) =>
                {
                    damaged++;
                    problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.BlobDamaged, Object = key, Message = $"{message} (at {entry.Offset}+{entry.Length})" });
                }, ct).ConfigureAwait(false);
            }
            catch (BackupTargetException ex)
            {
                problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.PackDamaged, Object = key, Message = $"Pack cannot be downloaded: {ex.Message}" });
                return;
            }

            Interlocked.Add(ref read.Blobs, outcome.BlobsDecoded);
            if (damaged == 0 && !outcome.MatchesName)
            {
                problems.Enqueue(new CheckProblem { Kind = CheckProblemKind.PackDamaged, Object = key, Message = "Pack content does not match its name, though every listed blob decodes: bytes outside the blobs are altered." });
            }

            Interlocked.Increment(ref read.Packs);
            var total = Interlocked.Add(ref read.Bytes, outcome.BytesRead);
            progress?.Report(new CheckProgress { Phase = "data", Done = Interlocked.Read(ref read.Packs), Total = packs.Count, BytesRead = total });
        }).ConfigureAwait(false);
    }

    /// <summary>Counters shared by the pack readers.</summary>
    private sealed class DataReadCounters
    {
        public long Packs;
        public long Blobs;
        public long Bytes;
    }
}
