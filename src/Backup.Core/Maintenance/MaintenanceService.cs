using Backup.Core.Buffers;
using Backup.Core.Diagnostics;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Repository.Blobs;
using Backup.Core.Repository.Locks;

namespace Backup.Core.Maintenance;

/// <summary>
/// Operations that delete: prune (free the space of data no snapshot uses), index repair and snapshot repair.
/// Each holds an exclusive <see cref="RepositoryLock"/>, so none runs beside a backup (which holds a shared one);
/// each writes everything new before deleting anything old, so a process killed at any instant leaves every
/// remaining snapshot restorable, and running the operation again completes it. See docs/maintenance.md.
/// And the extension of a retention-locked repository's locks (<see cref="ExtendRetentionAsync"/>), which deletes
/// nothing and holds a shared lock, so that no prune runs beside it.
/// </summary>
/// <remarks>
/// Afterwards the repository's in-memory index is reloaded, so later backups through
/// the same repository object never deduplicate against a deleted pack.
/// </remarks>
public sealed class MaintenanceService
{
    /// <summary>Trees read before the ones read are marked: bounds the trees held in memory at once.</summary>
    private const int TreeBatchSize = 256;

    /// <summary>Trees read at once (each a ranged read), enough to hide a remote store's latency.</summary>
    private const int TreeReadParallelism = 8;

    private readonly BackupRepository _repository;
    private readonly TimeProvider _time;
    private readonly BackupDiagnostics _diagnostics;

    /// <summary>Maintains <paramref name="repository"/>; <paramref name="time"/> drives durations and lock times; reports to <paramref name="diagnostics"/> (<see cref="BackupDiagnostics.Default"/> when null).</summary>
    public MaintenanceService(BackupRepository repository, TimeProvider? time = null, BackupDiagnostics? diagnostics = null)
    {
        _diagnostics = diagnostics ?? BackupDiagnostics.Default;
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Extends the retention lock of every object the repository still needs to now plus the period it records
    /// (<see cref="Repository.RepositoryConfig.RetentionLock"/>), in the recorded mode: the config, the keys, the index objects,
    /// the snapshots, the records and every pack the index lists. A lock otherwise runs a period from the day each
    /// object was written, while deduplication keeps months-old packs in use, and keys and config are not locked at
    /// all; run this at least once every (period minus a margin), and nothing a snapshot needs can be deleted before
    /// the run's date plus the period. One request per object; a lock is never shortened (an object locked longer is
    /// left and counted). Lock objects and packs no index lists are not touched. Holds a shared repository lock, as a
    /// backup does, so no prune runs beside it. See docs/remote-targets.md.
    /// A repository whose snapshots are forgotten must pass the policy its forget applies
    /// (<see cref="RetentionExtensionOptions.Policy"/>): then only the snapshots it keeps and the packs they reach (found
    /// as prune finds them: one more listing of the packs and read of the index objects) are extended, and the others
    /// are left to lapse, so that forget and prune can remove them at most one period after the policy stopped keeping
    /// them. Without it every snapshot is locked again on every run and forget never removes one.
    /// </summary>
    /// <param name="options">How many requests run at once, and the retention policy; the defaults (no policy) when null.</param>
    /// <param name="progress">Receives the phases "list" and "extend" with the objects done.</param>
    /// <param name="cancellationToken">Stops the run; objects already extended stay extended.</param>
    /// <exception cref="Repository.RepositoryException">The repository records no retention lock: there is nothing to extend.</exception>
    /// <exception cref="Repository.RetentionLockRequiredException">The target does not write the recorded lock (a shorter one, another mode, or none).</exception>
    /// <exception cref="RepositoryLockedException">A prune or another exclusive operation holds the repository.</exception>
    public Task<RetentionExtensionResult> ExtendRetentionAsync(RetentionExtensionOptions? options = null, IProgress<MaintenanceProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RetentionExtender.RunAsync(_repository, options ?? new RetentionExtensionOptions(), progress, _time, cancellationToken);

    /// <summary>
    /// Removes data no snapshot uses: marks every tree and chunk reachable from a snapshot, deletes packs with nothing
    /// used, copies the used blobs of mostly-unused packs into new packs, writes one new index superseding all old
    /// ones, and only then deletes the old index objects and packs.
    /// </summary>
    /// <exception cref="RepositoryLockedException">A backup or another maintenance operation holds a lock.</exception>
    /// <exception cref="RepositoryCorruptException">A snapshot is damaged or references missing data (run check, then repair), or a pack to rewrite is damaged.</exception>
    public Task<PruneResult> PruneAsync(PruneOptions options, IProgress<MaintenanceProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _diagnostics.RunAsync("prune", _repository.Location, () => RunPruneAsync(options, progress, cancellationToken), (operation, result) => operation.PruneCompleted(result));

    private async Task<PruneResult> RunPruneAsync(PruneOptions options, IProgress<MaintenanceProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = _time.GetTimestamp();
        // The scan reads the index objects itself (and must, when one is damaged): no refresh.
        await using var operation = await _repository.BeginOperationAsync(LockKind.Exclusive, "prune", refreshIndex: false, _time, cancellationToken).ConfigureAwait(false);

        // Prune works from its own view of the index objects, so the repository's in-memory index is dropped while it
        // runs (prune's memory is its own view, not both) and loaded again afterwards only if it had been loaded.
        var indexWasLoaded = _repository.Blobs.UnloadIndex();
        PruneResult result;
        try
        {
            result = await PruneUnloadedAsync(options, progress, started, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ReloadIfLoadedAsync(indexWasLoaded, swallow: true).ConfigureAwait(false);
            throw;
        }

        await ReloadIfLoadedAsync(indexWasLoaded, swallow: false).ConfigureAwait(false);
        return result;

        async Task ReloadIfLoadedAsync(bool loaded, bool swallow)
        {
            if (!loaded)
            {
                return;
            }

            try
            {
                await _repository.Blobs.ReloadIndexAsync(swallow ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (swallow)
            {
                // Prune already failed and says why; the index stays unloaded and the next operation's refresh loads it.
                _repository.Blobs.UnloadIndex();
            }
        }
    }

    private async Task<PruneResult> PruneUnloadedAsync(PruneOptions options, IProgress<MaintenanceProgress>? progress, long started, CancellationToken cancellationToken)
    {
        progress?.Report(new MaintenanceProgress { Phase = "scan", Done = 0, Total = 0 });
        var scan = await RepositoryScan.RunAsync(_repository, readIndexes: true, cancellationToken).ConfigureAwait(false);
        var snapshots = await LoadSnapshotsStrictAsync(cancellationToken).ConfigureAwait(false);
        var marks = await MarkReachableAsync(scan, snapshots, progress, cancellationToken).ConfigureAwait(false);
        var memory = scan.Index.MemoryBytes + marks.MemoryBytes;

        // Packs no index lists that are still within the grace period may belong to a writer whose lock lapsed and
        // which is still uploading: they are neither deleted, nor rewritten, nor indexed here.
        var now = _time.GetUtcNow();
        var young = new HashSet<BlobId>(scan.Listings.Values.Where(l => l.IndexKey is null).Select(l => l.Pack)
            .Concat(scan.UnreadablePacks.Select(p => p.Pack))
            .Where(p => IsWithinGracePeriod(scan.PackObjects[p], now, options.UnindexedGracePeriod)));

        // A needed blob stored more than once: the copy the index resolves it to is the one kept, so it must decode
        // before any other copy can be judged unused. One that does not means an index points at junk.
        var duplicates = BlobCopies.FindDuplicates(scan.Index, marks.IsMarked);
        if (duplicates.Count > 0)
        {
            progress?.Report(new MaintenanceProgress { Phase = "verify", Done = 0, Total = duplicates.Count });
            var failed = await BlobCopies.VerifyAllAsync(_repository, duplicates.Values.Select(c => c[0]), cancellationToken).ConfigureAwait(false);
            if (failed.Count > 0)
            {
                throw new RepositoryCorruptException(DescribeUnreadableCopies(failed, duplicates));
            }
        }

        // Classify every pack by the bytes of its blobs that are used where the index finds them: a blob listed in
        // two packs (a rewrite that was interrupted) counts only in the pack the index resolves it to, which is the
        // only copy marked (marks are set on resolved ordinals, and a listing's entries are consecutive ordinals).
        var keep = new List<PackPlan>();
        var repack = new List<PackPlan>();
        var remove = new List<BlobId>();
        long blobsRemoved = 0, blobsKept = 0;
        var youngKept = 0;
        foreach (var listing in scan.Listings.Values.OrderBy(l => l.Pack))
        {
            var entries = (BlobCatalog.PackEntries)listing.Entries;
            int usedCount = 0;
            long usedBytes = 0, totalBytes = 0;
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = scan.Index.EntryAtOrdinal(entries.First + i);
                totalBytes += entry.Length;
                if (marks.IsMarked(entries.First + i))
                {
                    usedCount++;
                    usedBytes += entry.Length;
                }
            }

            var plan = new PackPlan(listing, usedCount, usedBytes, totalBytes);
            blobsKept += usedCount;
            if (young.Contains(listing.Pack))
            {
                // Used blobs keep the pack listed in the new index; an unused one is left for its writer's index.
                youngKept++;
                if (usedCount > 0)
                {
                    keep.Add(plan);
                }
            }
            else if (usedCount == 0)
            {
                remove.Add(listing.Pack);
                blobsRemoved += entries.Count;
            }
            else if (usedCount < entries.Count && totalBytes - usedBytes >= options.RepackThreshold * totalBytes)
            {
                repack.Add(plan);
                blobsRemoved += entries.Count - usedCount;
            }
            else
            {
                keep.Add(plan);
            }
        }

        if (options.RepackSmall)
        {
            var small = keep.Where(k => !young.Contains(k.Listing.Pack) && scan.PackObjects[k.Listing.Pack].Length < _repository.Config.PackSize / 2).ToList();
            if (small.Count >= 2)
            {
                foreach (var pack in small)
                {
                    keep.Remove(pack);
                    repack.Add(pack);
                    blobsRemoved += pack.Listing.Entries.Count - pack.UsedCount;
                }
            }
        }

        // Space no snapshot uses that stays behind: a repack copies the rest of a pack, so below the threshold it waits.
        var unusedKept = keep.Where(k => !young.Contains(k.Listing.Pack)).Sum(k => k.TotalBytes - k.UsedBytes);

        // A pack is deleted or rewritten only as its own header describes it: an index listing is a claim anyone
        // who can add an index can make. Unindexed listings were read from the header by the scan.
        var judged = remove.Select(p => scan.Listings[p]).Concat(repack.Select(r => r.Listing)).Where(l => l.IndexKey is not null).ToList();
        progress?.Report(new MaintenanceProgress { Phase = "headers", Done = 0, Total = judged.Count });
        var contradictions = await FindHeaderContradictionsAsync(scan, judged, cancellationToken).ConfigureAwait(false);
        if (contradictions.Count > 0)
        {
            throw new RepositoryCorruptException($"Prune stopped before changing anything: {contradictions.Count} pack(s) it would delete or rewrite hold other blobs than the index says ({string.Join("; ", contradictions.Take(5))}{(contradictions.Count > 5 ? "; …" : "")}). Packs are judged by their own headers; run check, then repair index, then prune again.");
        }

        // Torn packs of dead writers: no index lists them and their header is unreadable, so nothing can use them.
        // Deleting them is safe only because the exclusive lock guarantees no writer is uploading right now, and
        // the grace period covers a writer whose lock lapsed.
        remove.AddRange(scan.UnreadablePacks.Select(p => p.Pack).Where(p => !young.Contains(p)));
        youngKept += scan.UnreadablePacks.Count(p => young.Contains(p.Pack));
        var bytesBefore = scan.PackObjects.Values.Sum(p => p.Length);
        var kept = keep.Select(k => k.Listing.Pack).ToHashSet();
        var nothingToDo = remove.Count == 0 && repack.Count == 0 && scan.Listings.Values.All(l => l.IndexKey is not null || (young.Contains(l.Pack) && !kept.Contains(l.Pack)))
            && scan.DamagedIndexes.Count == 0 && scan.MissingPacks.Count == 0;
        var result = new PruneResult
        {
            DryRun = options.DryRun,
            Snapshots = snapshots.Count,
            BytesBefore = bytesBefore,
            PacksBefore = scan.PackObjects.Count,
            PacksRemoved = remove.Count,
            PacksRewritten = repack.Count,
            BlobsRemoved = blobsRemoved,
            BlobsKept = blobsKept,
            UnindexedPacksKept = youngKept,
            UnusedBytesKept = unusedKept,
            MemoryBytes = memory,
        };

        if (options.DryRun || nothingToDo)
        {
            var estimate = bytesBefore - remove.Sum(p => scan.PackObjects[p].Length) - repack.Sum(r => scan.PackObjects[r.Listing.Pack].Length - r.UsedBytes);
            return result with { BytesAfter = nothingToDo ? bytesBefore : estimate, Duration = _time.GetElapsedTime(started) };
        }

        // 1. New packs: the used blobs of packs being rewritten, copied verbatim.
        using var rewriter = new PackRewriter(_repository);
        var done = 0;
        try
        {
            foreach (var (listing, _, _, _) in repack)
            {
                var length = scan.PackObjects[listing.Pack].Length;
                using var bytes = new PooledBuffer(checked((int)length), _repository.Blobs.BufferPool, willFill: true);
                try
                {
                    await _repository.Blobs.Target.ReadExactlyAsync(RepositoryLayout.PackKey(listing.Pack), 0, bytes.Memory, cancellationToken).ConfigureAwait(false);
                }
                catch (BackupTargetException ex) when (ex is not BackupObjectNotFoundException)
                {
                    throw new RepositoryCorruptException($"Pack {listing.Pack.ToShortString()} could not be read whole ({ex.Message}); prune stops before changing anything it cannot undo. Run check with read-data, then repair index with read-data.", ex);
                }

                // Copying verbatim must not spread damage: a pack whose bytes no longer match its name is not copied from.
                if (BlobId.Sha256(bytes.Span) != listing.Pack)
                {
                    throw new RepositoryCorruptException($"Pack {listing.Pack.ToShortString()} is damaged; prune stops before changing anything it cannot undo. Run check with read-data, then repair index with read-data.");
                }

                var entries = (BlobCatalog.PackEntries)listing.Entries;
                for (var i = 0; i < entries.Count; i++)
                {
                    if (!marks.IsMarked(entries.First + i))
                    {
                        continue;
                    }

                    var entry = scan.Index.EntryAtOrdinal(entries.First + i);
                    // A copy of a duplicated blob was verified by a ranged read; what is copied must be those same bytes.
                    if (duplicates.ContainsKey(entry.Id))
                    {
                        DecodeOrStop(entry, bytes.Span, listing.Pack);
                    }

                    await rewriter.AddAsync(entry.Id, entry.Type, bytes.Memory.Slice((int)entry.Offset, (int)entry.Length), entry.RawLength, cancellationToken).ConfigureAwait(false);
                }

                progress?.Report(new MaintenanceProgress { Phase = "repack", Done = ++done, Total = repack.Count });
            }

            await rewriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Until the new index names them, the new packs are of use to nobody, and on a full disk they are the
            // room the next attempt needs: removed, so a prune that failed leaves the repository as it found it.
            await RemoveUnindexedAsync(rewriter.Written.Select(w => w.Pack).Where(p => !scan.PackObjects.ContainsKey(p))).ConfigureAwait(false);
            throw;
        }

        // 2. The new index (kept and new packs), superseding every old index object. 3. Old indexes. 4. Old packs.
        var packs = keep.Select(k => (k.Listing.Pack, k.Listing.Entries)).Concat(rewriter.Written.Select(w => (w.Pack, (IReadOnlyList<PackHeaderEntry>)w.Entries))).ToList();
        // A pack the storage refuses to delete (a retention lock) is no longer in the new index; it stays as an
        // unindexed pack whose own header still describes it, so every reader finds its blobs, and the next prune
        // (past the grace period, once the lock ended) deletes it like any unused unindexed pack.
        var locked = new List<LockedObject>();
        var replaced = await ReplaceIndexAsync(scan, packs, progress, locked, cancellationToken).ConfigureAwait(false);
        var lockedPacks = await DeletePacksAsync(remove.Concat(repack.Select(r => r.Listing.Pack)), progress, locked, cancellationToken).ConfigureAwait(false);

        var bytesAfter = bytesBefore - remove.Sum(p => scan.PackObjects[p].Length) - repack.Sum(r => scan.PackObjects[r.Listing.Pack].Length) + rewriter.BytesWritten
            + lockedPacks.Sum(p => scan.PackObjects[p].Length);
        return result with
        {
            BytesAfter = bytesAfter,
            PacksRemoved = remove.Count(p => !lockedPacks.Contains(p)),
            PacksRewritten = repack.Count(r => !lockedPacks.Contains(r.Listing.Pack)),
            PacksWritten = rewriter.Written.Count,
            IndexesReplaced = replaced,
            Locked = locked,
            Duration = _time.GetElapsedTime(started),
        };
    }

    /// <summary>Deletes packs this prune wrote and no index names, as far as storage lets it (the original failure is what is reported).</summary>
    private async Task RemoveUnindexedAsync(IEnumerable<BlobId> packs)
    {
        foreach (var pack in packs)
        {
            try
            {
                await _repository.Blobs.Target.DeleteAsync(RepositoryLayout.PackKey(pack), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is BackupTargetException or IOException or UnauthorizedAccessException)
            {
                // Left as an unindexed pack: the next prune deletes it once its grace period is over.
            }
        }
    }

    /// <summary>Rebuilds the index from the packs' own headers, superseding every old index object.</summary>
    /// <exception cref="RepositoryLockedException">A backup or another maintenance operation holds a lock.</exception>
    public Task<RepairResult> RepairIndexAsync(CancellationToken cancellationToken = default) => RepairIndexAsync(new RepairIndexOptions(), cancellationToken);

    /// <summary>
    /// Rebuilds the index from the packs' own headers: lists data/, reads every header, writes a new index superseding
    /// every old index object, then deletes the old ones. A pack whose header is unreadable is salvaged when an old
    /// index still locates its blobs (each intact blob is copied into a new pack) and then removed.
    /// </summary>
    /// <exception cref="RepositoryLockedException">A backup or another maintenance operation holds a lock.</exception>
    public Task<RepairResult> RepairIndexAsync(RepairIndexOptions options, CancellationToken cancellationToken = default) =>
        _diagnostics.RunAsync("repair.index", _repository.Location, () => RunRepairIndexAsync(options, cancellationToken), (operation, result) => operation.RepairCompleted(result));

    private async Task<RepairResult> RunRepairIndexAsync(RepairIndexOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = _time.GetTimestamp();
        // The scan reads the index objects itself (and must, when one is damaged): no refresh.
        await using var operation = await _repository.BeginOperationAsync(LockKind.Exclusive, "repair index", refreshIndex: false, _time, cancellationToken).ConfigureAwait(false);
        var scan = await RepositoryScan.RunAsync(_repository, readIndexes: true, cancellationToken).ConfigureAwait(false);

        // Every pack's header; packs the index lists need theirs read (unindexed ones were read by the scan).
        var headers = new Dictionary<BlobId, List<PackHeaderEntry>>();
        var damaged = new List<(BlobId Pack, string Message, List<PackHeaderEntry>? Listing)>();
        var consistent = scan.DamagedIndexes.Count == 0 && scan.MissingPacks.Count == 0;
        foreach (var listing in scan.Listings.Values.OrderBy(l => l.Pack))
        {
            if (listing.IndexKey is null)
            {
                headers[listing.Pack] = [.. listing.Entries];
                consistent = false;
                continue;
            }

            try
            {
                var header = await _repository.Blobs.ReadPackHeaderAsync(scan.PackObjects[listing.Pack], cancellationToken).ConfigureAwait(false);
                headers[listing.Pack] = header;
                consistent &= header.SequenceEqual(listing.Entries);
            }
            catch (Exception ex) when (ex is InvalidDataException or BackupTargetException)
            {
                damaged.Add((listing.Pack, ex.Message, [.. listing.Entries]));
            }
        }

        damaged.AddRange(scan.UnreadablePacks.Select(p => (p.Pack, p.Message, (List<PackHeaderEntry>?)null)));

        // Copies of one blob in several packs (as the headers say): every copy is read (read-data reads them all
        // below), and a pack holding one that does not decode is rewritten without it, so no index can point a
        // reader, or prune's choice of the copy to keep, at it again.
        var headerIndex = new BlobCatalog();
        foreach (var (pack, header) in headers.OrderBy(h => h.Key))
        {
            headerIndex.Add(pack, header, RepositoryLayout.PackKey(pack));
        }

        var duplicates = BlobCopies.FindDuplicates(headerIndex);
        if (duplicates.Count > 0 && !options.ReadData)
        {
            var failed = await BlobCopies.VerifyAllAsync(_repository, duplicates.Values.SelectMany(c => c), cancellationToken).ConfigureAwait(false);
            foreach (var group in failed.GroupBy(f => f.Copy.Pack))
            {
                if (headers.Remove(group.Key, out var header))
                {
                    damaged.Add((group.Key, $"holds {group.Count()} unreadable copies of blobs stored more than once", header));
                }
            }
        }

        if (options.ReadData)
        {
            foreach (var (pack, header) in headers.ToList())
            {
                if (!await AllBlobsIntactAsync(pack, header, cancellationToken).ConfigureAwait(false))
                {
                    headers.Remove(pack);
                    damaged.Add((pack, "damaged blobs", header));
                }
            }
        }

        if (consistent && damaged.Count == 0)
        {
            return new RepairResult { NothingToDo = true, PacksIndexed = headers.Count, Duration = _time.GetElapsedTime(started) };
        }

        // Salvage: copy every blob of a damaged pack that still decodes and matches its ID into a new pack.
        var dropped = new List<string>();
        long salvaged = 0, lost = 0;
        using var rewriter = new PackRewriter(_repository);
        foreach (var (pack, message, listing) in damaged)
        {
            if (listing is null)
            {
                dropped.Add($"pack {pack.ToShortString()}: {message}; no index locates its blobs, removed");
                continue;
            }

            byte[] bytes;
            try
            {
                bytes = await _repository.Blobs.ReadPackAsync(pack, cancellationToken).ConfigureAwait(false);
            }
            catch (BackupTargetException ex)
            {
                lost += listing.Count;
                dropped.Add($"pack {pack.ToShortString()}: {ex.Message}; {listing.Count} blobs lost");
                continue;
            }

            int lostHere = 0, badCopies = 0;
            using var buffer = new PooledBufferWriter(1024 * 1024);
            foreach (var entry in listing)
            {
                if (TryDecode(entry, bytes, buffer))
                {
                    await rewriter.AddAsync(entry.Id, entry.Type, bytes.AsMemory((int)entry.Offset, (int)entry.Length), entry.RawLength, cancellationToken).ConfigureAwait(false);
                    salvaged++;
                }
                else if (duplicates.ContainsKey(entry.Id))
                {
                    // Another pack holds a copy (and, if that one is unreadable too, check reports the blob).
                    badCopies++;
                }
                else
                {
                    lostHere++;
                }
            }

            lost += lostHere;
            dropped.Add($"pack {pack.ToShortString()}: {message}; {listing.Count - lostHere - badCopies} blobs salvaged, {lostHere} lost" + (badCopies > 0 ? $", {badCopies} unreadable copies of blobs also stored elsewhere dropped" : ""));
        }

        await rewriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        var packs = headers.Select(h => (h.Key, (IReadOnlyList<PackHeaderEntry>)h.Value)).Concat(rewriter.Written.Select(w => (w.Pack, (IReadOnlyList<PackHeaderEntry>)w.Entries))).ToList();
        var locked = new List<LockedObject>();
        var replaced = await ReplaceIndexAsync(scan, packs, null, locked, cancellationToken).ConfigureAwait(false);
        var lockedPacks = await DeletePacksAsync(damaged.Select(d => d.Pack), null, locked, cancellationToken).ConfigureAwait(false);
        await _repository.Blobs.ReloadIndexAsync(cancellationToken).ConfigureAwait(false);
        return new RepairResult
        {
            PacksIndexed = packs.Count,
            PacksRemoved = damaged.Count - lockedPacks.Count,
            Locked = locked,
            BlobsSalvaged = salvaged,
            BlobsLost = lost,
            IndexesReplaced = replaced,
            Dropped = dropped,
            Duration = _time.GetElapsedTime(started),
        };
    }

    /// <summary>
    /// Rewrites every snapshot that references missing data so that it restores: a file missing any chunk is dropped,
    /// a directory whose tree is missing or damaged becomes empty. The new snapshot keeps the old one's metadata, is
    /// marked partial, tagged "repaired" and lists what was dropped in its problems; the old one is then deleted.
    /// Snapshot objects that cannot be decoded at all are deleted. Run <see cref="RepairIndexAsync(CancellationToken)"/> first.
    /// </summary>
    /// <exception cref="RepositoryLockedException">A backup or another maintenance operation holds a lock.</exception>
    /// <exception cref="RepositoryCorruptException">The index itself is damaged or names missing packs: repair the index first.</exception>
    public Task<RepairResult> RepairSnapshotsAsync(bool dryRun, CancellationToken cancellationToken = default) =>
        _diagnostics.RunAsync("repair.snapshots", _repository.Location, () => RunRepairSnapshotsAsync(dryRun, cancellationToken), (operation, result) => operation.RepairCompleted(result));

    private async Task<RepairResult> RunRepairSnapshotsAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        // The scan reads the index objects itself (and must, when one is damaged): no refresh.
        await using var operation = await _repository.BeginOperationAsync(LockKind.Exclusive, "repair snapshots", refreshIndex: false, _time, cancellationToken).ConfigureAwait(false);
        var scan = await RepositoryScan.RunAsync(_repository, readIndexes: true, cancellationToken).ConfigureAwait(false);
        if (scan.DamagedIndexes.Count > 0 || scan.MissingPacks.Count > 0)
        {
            throw new RepositoryCorruptException("The index is damaged or names missing packs; run repair index before repairing snapshots.");
        }

        // The writer deduplicates against the repository's index, which must match what is stored right now.
        await _repository.Blobs.ReloadIndexAsync(cancellationToken).ConfigureAwait(false);

        var damagedSnapshots = new List<string>();
        var snapshots = new List<Snapshot>();
        await foreach (var snapshot in _repository.Snapshots.ListAsync((key, _) => damagedSnapshots.Add(key), cancellationToken).ConfigureAwait(false))
        {
            snapshots.Add(snapshot);
        }

        var dropped = new List<string>();
        var locked = new List<LockedObject>();
        var rewritten = 0;
        var repairer = new TreeRepairer(scan);
        await using (var writer = dryRun ? null : _repository.CreateWriter(1, cancellationToken))
        {
            var replacements = new List<(Snapshot Old, Snapshot New)>();
            foreach (var snapshot in snapshots)
            {
                var lost = new List<string>();
                var root = await repairer.RepairAsync(snapshot.Tree, "/", lost, writer, cancellationToken).ConfigureAwait(false);
                if (lost.Count == 0)
                {
                    continue;
                }

                rewritten++;
                dropped.AddRange(lost.Select(l => $"snapshot {snapshot.Id.ToShortString()}: {l}"));
                var tags = snapshot.Tags.Contains("repaired") ? snapshot.Tags : [.. snapshot.Tags, "repaired"];
                replacements.Add((snapshot, snapshot with { Tree = root, Partial = true, Problems = [.. snapshot.Problems, .. lost.Select(l => "repair: " + l)], Tags = tags }));
            }

            if (writer is not null)
            {
                // Trees first (CompleteAsync writes packs, then their index), then the new snapshots, then the old ones go.
                await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                // An old snapshot under a retention lock stays beside its replacement; the next repair finds the
                // replacement already stored and only retries the delete, so locked snapshots never multiply.
                var stored = snapshots.Select(SnapshotContent).ToHashSet(StringComparer.Ordinal);
                foreach (var (old, repaired) in replacements)
                {
                    // What is left is counted again: the old figures still counted the files that were dropped.
                    var replacement = repaired with { Statistics = await RecountAsync(old, repaired, cancellationToken).ConfigureAwait(false) };
                    if (!stored.Contains(SnapshotContent(replacement)))
                    {
                        await _repository.Snapshots.SaveAsync(replacement, cancellationToken).ConfigureAwait(false);
                    }

                    await DeleteOrSkipLockedAsync(() => _repository.Snapshots.DeleteAsync(old.Id, cancellationToken), locked).ConfigureAwait(false);
                }

                foreach (var key in damagedSnapshots)
                {
                    await DeleteOrSkipLockedAsync(() => _repository.Snapshots.DeleteDamagedAsync(key, cancellationToken), locked).ConfigureAwait(false);
                }
            }
        }

        dropped.AddRange(damagedSnapshots.Select(k => $"{k}: cannot be decoded, removed"));
        return new RepairResult
        {
            DryRun = dryRun,
            NothingToDo = rewritten == 0 && damagedSnapshots.Count == 0,
            SnapshotsRewritten = rewritten,
            SnapshotsRemoved = damagedSnapshots.Count - locked.Count(l => damagedSnapshots.Contains(l.Key)),
            Dropped = dropped,
            Locked = locked,
            Duration = _time.GetElapsedTime(started),
        };
    }

    /// <summary>The statistics of a repaired snapshot: files, directories and bytes of what its tree still holds, and the entries dropped added to its errors.</summary>
    private async Task<SnapshotStatistics> RecountAsync(Snapshot original, Snapshot repaired, CancellationToken cancellationToken)
    {
        long files = 0, directories = 0, bytes = 0;
        await foreach (var (_, node) in SnapshotWalker.WalkAsync(_repository.Snapshots, repaired.Tree, cancellationToken).ConfigureAwait(false))
        {
            if (node.Type == NodeType.File)
            {
                files++;
                bytes += node.Size;
            }
            else if (node.Type == NodeType.Directory)
            {
                directories++;
            }
        }

        return repaired.Statistics with { Files = files, Directories = directories, TotalBytes = bytes, Errors = repaired.Statistics.Errors + (repaired.Problems.Count - original.Problems.Count) };
    }

    /// <summary>
    /// Whether a pack no index lists is new enough that a writer may still be uploading it. No reported time
    /// (<see cref="DateTimeOffset.MinValue"/>) or a time ahead of this clock counts as new: age unknown is not old.
    /// </summary>
    internal static bool IsWithinGracePeriod(BackupObjectInfo pack, DateTimeOffset now, TimeSpan gracePeriod) =>
        pack.LastModified == DateTimeOffset.MinValue || now - pack.LastModified < gracePeriod;

    private static string DescribeUnreadableCopies(List<(BlobCopy Copy, string Error)> failed, Dictionary<BlobId, List<BlobCopy>> duplicates)
    {
        var blobs = failed.Take(5).Select(f =>
        {
            var others = duplicates[f.Copy.Entry.Id].Skip(1).Select(c => c.Pack.ToShortString()).Distinct();
            return $"blob {f.Copy.Entry.Id.ToShortString()} resolves to pack {f.Copy.Pack.ToShortString()} at {f.Copy.Entry.Offset}+{f.Copy.Entry.Length}, which does not decode ({f.Error}); other copies in pack(s) {string.Join(", ", others)}";
        });
        var packs = failed.Select(f => f.Copy.Pack.ToShortString()).Distinct().ToList();
        return $"Prune stopped before changing anything: {failed.Count} blob(s) that snapshots need are stored in more than one pack and the copy the index resolves them to is not readable, so no other copy may be judged unused. "
            + string.Join("; ", blobs) + (failed.Count > 5 ? "; …" : "")
            + $". Pack(s) holding unreadable copies: {string.Join(", ", packs.Take(10))}{(packs.Count > 10 ? ", …" : "")}. "
            + "An index contradicts what the packs hold (damaged, or added by someone with write access). Run check, then repair index (it keeps only copies that decode), then prune again.";
    }

    /// <summary>Reads the header of each listed pack and describes every pack whose header lists other blobs than its listing.</summary>
    private async Task<List<string>> FindHeaderContradictionsAsync(RepositoryScan scan, List<PackListing> listings, CancellationToken cancellationToken)
    {
        var found = new System.Collections.Concurrent.ConcurrentBag<(BlobId Pack, string Message)>();
        await Parallel.ForEachAsync(listings, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (listing, ct) =>
        {
            List<PackHeaderEntry> header;
            try
            {
                header = await _repository.Blobs.ReadPackHeaderAsync(scan.PackObjects[listing.Pack], ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidDataException or BackupTargetException)
            {
                found.Add((listing.Pack, $"pack {listing.Pack.ToShortString()}: its header cannot be read ({ex.Message})"));
                return;
            }

            var inHeader = header.ToHashSet();
            if (header.Count != listing.Entries.Count)
            {
                found.Add((listing.Pack, $"pack {listing.Pack.ToShortString()}: the header lists {header.Count} blobs, {listing.IndexKey} lists {listing.Entries.Count}"));
            }
            else if (listing.Entries.Where(e => !inHeader.Contains(e)).Take(1).ToList() is [var first])
            {
                found.Add((listing.Pack, $"pack {listing.Pack.ToShortString()}: {listing.IndexKey} lists blob {first.Id.ToShortString()} at {first.Offset}+{first.Length}, its header does not"));
            }
        }).ConfigureAwait(false);
        return [.. found.OrderBy(f => f.Pack).Select(f => f.Message)];
    }

    private void DecodeOrStop(PackHeaderEntry entry, ReadOnlySpan<byte> pack, BlobId packId)
    {
        using var buffer = new PooledBufferWriter((int)Math.Clamp(entry.RawLength, 256, 64 * 1024 * 1024), _repository.Blobs.BufferPool);
        if (!TryDecode(entry, pack, buffer))
        {
            throw new RepositoryCorruptException($"Blob {entry.Id.ToShortString()} in pack {packId.ToShortString()} decoded when it was verified but not when the pack was downloaded to be rewritten; prune stops. Run check with read-data.");
        }
    }

    private bool TryDecode(PackHeaderEntry entry, ReadOnlySpan<byte> pack, PooledBufferWriter buffer)
    {
        if ((long)entry.Offset + entry.Length > pack.Length)
        {
            return false;
        }

        try
        {
            _repository.Blobs.DecodeBlob(entry.Id, pack.Slice((int)entry.Offset, (int)entry.Length), entry.RawLength, buffer);
            return true;
        }
        catch (RepositoryCorruptException)
        {
            return false;
        }
    }

    private async Task<bool> AllBlobsIntactAsync(BlobId pack, List<PackHeaderEntry> header, CancellationToken cancellationToken)
    {
        // Every blob is decoded even when the pack matches its name: a writer holding the password can store a
        // well-formed pack of junk under real blob IDs, and its name matches its content.
        var bytes = await _repository.Blobs.ReadPackAsync(pack, cancellationToken).ConfigureAwait(false);
        using var buffer = new PooledBufferWriter(1024 * 1024);
        foreach (var entry in header)
        {
            if (!TryDecode(entry, bytes, buffer))
            {
                return false;
            }
        }

        return true;
    }

    private async Task<List<Snapshot>> LoadSnapshotsStrictAsync(CancellationToken cancellationToken)
    {
        var damaged = new List<string>();
        var snapshots = new List<Snapshot>();
        await foreach (var snapshot in _repository.Snapshots.ListAsync((key, _) => damaged.Add(key), cancellationToken).ConfigureAwait(false))
        {
            snapshots.Add(snapshot);
        }

        // What a damaged snapshot references is unknown, so nothing may be judged unused while one exists.
        return damaged.Count > 0
            ? throw new RepositoryCorruptException($"Snapshot object(s) {string.Join(", ", damaged)} cannot be decoded, so prune cannot tell what they use; run repair snapshots first.")
            : snapshots;
    }

    /// <summary>
    /// Marks every tree and chunk reachable from <paramref name="snapshots"/> (prune's walk; the retention extension's too).
    /// </summary>
    /// <exception cref="RepositoryCorruptException">A snapshot references a tree or chunk the scan does not find.</exception>
    internal static async Task<BlobMarks> MarkReachableAsync(RepositoryScan scan, List<Snapshot> snapshots, IProgress<MaintenanceProgress>? progress, CancellationToken cancellationToken)
    {
        var marks = new BlobMarks(scan.Index.Count);
        // Every tree is one ranged read: they are read a batch at a time, several at once, and marked in order.
        var pending = new Stack<(BlobId Tree, Snapshot Snapshot)>();
        for (var i = snapshots.Count - 1; i >= 0; i--)
        {
            pending.Push((snapshots[i].Tree, snapshots[i]));
        }

        var batch = new List<(BlobId Tree, Snapshot Snapshot)>(TreeBatchSize);
        var trees = new Tree[TreeBatchSize];
        while (pending.Count > 0)
        {
            batch.Clear();
            while (pending.Count > 0 && batch.Count < TreeBatchSize)
            {
                var (treeId, snapshot) = pending.Pop();
                if (!scan.Index.TryGetOrdinal(treeId, out var ordinal, out _))
                {
                    throw new RepositoryCorruptException($"Snapshot {snapshot.Id.ToShortString()} references tree {treeId.ToShortString()}, which is missing; prune stops so nothing below it is judged unused. Run check, then repair snapshots.");
                }

                // A tree already marked was walked through another snapshot: shared subtrees are walked once.
                if (marks.TryMark(ordinal))
                {
                    batch.Add((treeId, snapshot));
                }
            }

            await Parallel.ForEachAsync(Enumerable.Range(0, batch.Count), new ParallelOptions { MaxDegreeOfParallelism = TreeReadParallelism, CancellationToken = cancellationToken }, async (i, ct) =>
                trees[i] = await scan.LoadTreeAsync(batch[i].Tree, ct).ConfigureAwait(false)).ConfigureAwait(false);

            for (var i = 0; i < batch.Count; i++)
            {
                var snapshot = batch[i].Snapshot;
                foreach (var node in trees[i].Nodes)
                {
                    if (node.Subtree is { } subtree)
                    {
                        pending.Push((subtree, snapshot));
                    }

                    foreach (var chunk in node.Content ?? [])
                    {
                        if (!scan.Index.TryGetOrdinal(chunk, out var chunkOrdinal, out _))
                        {
                            throw new RepositoryCorruptException($"Snapshot {snapshot.Id.ToShortString()} references chunk {chunk.ToShortString()} (in '{node.Name}'), which is missing. Run check, then repair snapshots.");
                        }

                        marks.TryMark(chunkOrdinal);
                    }
                }

                trees[i] = null!;
            }

        }

        progress?.Report(new MaintenanceProgress { Phase = "mark", Done = snapshots.Count, Total = snapshots.Count });
        return marks;
    }

    /// <summary>
    /// Writes the new index objects, then deletes every old one; returns how many old ones were replaced. An old one
    /// under a retention lock is added to <paramref name="locked"/> and stays: the new index supersedes it.
    /// </summary>
    private async Task<int> ReplaceIndexAsync(RepositoryScan scan, List<(BlobId Pack, IReadOnlyList<PackHeaderEntry> Entries)> packs, IProgress<MaintenanceProgress>? progress, List<LockedObject> locked, CancellationToken cancellationToken)
    {
        var old = scan.IndexIds.Select(RepositoryLayout.IndexKey).Concat(scan.DamagedIndexes.Select(d => d.Key)).ToList();
        var supersedes = scan.IndexIds.Concat(scan.DamagedIndexes.Select(d => RepositoryLayout.TryParseId(d.Key, out var id) ? id : default).Where(id => !id.IsEmpty)).ToList();
        var written = new HashSet<string>(await _repository.Blobs.WriteIndexAsync(packs.OrderBy(p => p.Pack).Select(p => (p.Pack, p.Entries)), supersedes, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
        var done = 0;
        foreach (var key in old.Where(k => !written.Contains(k)))
        {
            await DeleteOrSkipLockedAsync(() => _repository.Blobs.DeleteIndexObjectAsync(key, cancellationToken), locked).ConfigureAwait(false);
            progress?.Report(new MaintenanceProgress { Phase = "index", Done = ++done, Total = old.Count });
        }

        return old.Count;
    }

    /// <summary>Deletes <paramref name="packs"/>; returns the ones the storage refused under a retention lock (also added to <paramref name="locked"/>).</summary>
    private async Task<HashSet<BlobId>> DeletePacksAsync(IEnumerable<BlobId> packs, IProgress<MaintenanceProgress>? progress, List<LockedObject> locked, CancellationToken cancellationToken)
    {
        var list = packs.Distinct().ToList();
        var refused = new HashSet<BlobId>();
        var done = 0;
        foreach (var pack in list)
        {
            if (!await DeleteOrSkipLockedAsync(() => _repository.Blobs.DeletePackAsync(pack, cancellationToken), locked).ConfigureAwait(false))
            {
                refused.Add(pack);
            }

            progress?.Report(new MaintenanceProgress { Phase = "delete", Done = ++done, Total = list.Count });
        }

        return refused;
    }

    /// <summary>
    /// Runs one delete; a refusal under a retention lock is recorded in <paramref name="locked"/> and the operation
    /// goes on (false), since one locked object must not keep every other one from being deleted.
    /// </summary>
    private static async Task<bool> DeleteOrSkipLockedAsync(Func<Task> delete, List<LockedObject> locked)
    {
        try
        {
            await delete().ConfigureAwait(false);
            return true;
        }
        catch (BackupObjectLockedException ex)
        {
            locked.Add(LockedObject.From(ex));
            return false;
        }
    }

    /// <summary>A snapshot's content without its ID (which differs for every stored copy), to find a replacement already stored.</summary>
    private static string SnapshotContent(Snapshot snapshot) =>
        Convert.ToBase64String(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(snapshot with { Id = default }, SnapshotJson.Default.Snapshot));

    /// <summary>One pack's verdict: its listing, and how many of its blobs (and their stored bytes) are used where they are.</summary>
    private readonly record struct PackPlan(PackListing Listing, int UsedCount, long UsedBytes, long TotalBytes);
}
