using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Backup.Core.Buffers;
using Backup.Core.Repository.Locks;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core.Repository.Blobs;

/// <summary>
/// Stores blobs into a repository: each new blob is compressed and encrypted on a pool of workers, appended to
/// a pack, and the pack uploaded when full; blobs already stored (or already on their way) are skipped.
/// <see cref="CompleteAsync"/> uploads the last pack and then the index, in that order, so everything an index
/// names is stored before the index is, and a snapshot written afterwards only references stored data.
/// </summary>
/// <remarks>
/// Queues between the stages are bounded, so memory stays flat however much is written: at most (2 × workers) blobs
/// copied and waiting or being encoded, however many callers add at once, and one pack filling, one waiting and one
/// uploading. On a target that stages objects (a local disk) the packs are spooled there instead of held in memory.
/// <para>
/// A writer given the repository lock it works under remembers which packs everything it references
/// lies in (the packs it wrote, and the packs of blobs it found already stored). Before it writes the index, and
/// around the snapshot, it asks the lock whether it may have lapsed; if so it re-takes the lock and checks that
/// no exclusive lock is live and every one of those packs still exists, or fails with
/// <see cref="RepositoryLockLapsedException"/> before storing anything that references deleted data.
/// </para>
/// </remarks>
internal sealed class RepositoryWriter : IAsyncDisposable
{
    private readonly BlobStore _blobs;
    private readonly Channel<Job> _jobs;
    private readonly Channel<PackBuilder> _uploads = Channel.CreateBounded<PackBuilder>(new BoundedChannelOptions(1) { SingleReader = true });
    private readonly ConcurrentDictionary<BlobId, byte> _queued = new();
    private readonly CancellationTokenSource _stop = new();

    // Stops the uploader apart from the encoders: when an encoder fails (the disk is full), the packs it had already
    // filled are still sealed and stored, so the next run reuses them instead of reading and storing them again.
    private readonly CancellationTokenSource _stopUploads = new();
    private readonly CancellationTokenRegistration _cancellation;
    private readonly Task _workers;
    private readonly Task _uploader;
    private readonly SemaphoreSlim _addGate = new(1, 1);
    private readonly SemaphoreSlim _slots;
    private readonly List<(BlobId Pack, List<PackHeaderEntry> Entries)> _uploaded = [];
    private readonly List<BlobId> _indexedEarly = [];
    private readonly int _indexFlushBlobs;
    private int _uploadedBlobs;
    private readonly RepositoryLock? _lock;
    private readonly ConcurrentDictionary<BlobId, byte> _reusedPacks = new();
    private readonly ConcurrentDictionary<BlobId, byte> _reusedUnknown = new();
    private PackBuilder? _current;
    private Exception? _failure;
    private long _blobsAdded, _bytesAdded, _bytesStored, _packsWritten;
    private bool _completed;

    /// <param name="blobs">The repository's blobs.</param>
    /// <param name="parallelism">Encoders.</param>
    /// <param name="heldLock">The lock the index and snapshot are written under, checked before each.</param>
    /// <param name="indexFlushBlobs">Blobs after which the packs so far are indexed.</param>
    /// <param name="cancellationToken">The operation's: stops every worker, the uploads of packs already filled too.</param>
    internal RepositoryWriter(BlobStore blobs, int parallelism, RepositoryLock? heldLock = null, int indexFlushBlobs = BlobStore.MaxBlobsPerIndexObject, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(indexFlushBlobs, 1);
        _blobs = blobs;
        _lock = heldLock;
        _indexFlushBlobs = indexFlushBlobs;
        _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(parallelism * 2) { SingleWriter = false });
        _slots = new SemaphoreSlim(parallelism * 2, parallelism * 2);
        _workers = Task.WhenAll(Enumerable.Range(0, parallelism).Select(_ => Task.Run(EncodeLoopAsync)));
        _uploader = Task.Run(UploadLoopAsync, CancellationToken.None);
        _cancellation = cancellationToken.Register(StopAll);
    }

    /// <summary>New blobs stored by this writer.</summary>
    public long BlobsAdded => Interlocked.Read(ref _blobsAdded);

    /// <summary>Plaintext bytes of the new blobs.</summary>
    public long BytesAdded => Interlocked.Read(ref _bytesAdded);

    /// <summary>Bytes uploaded in packs (compressed, encrypted, with headers).</summary>
    public long BytesStored => Interlocked.Read(ref _bytesStored);

    /// <summary>Packs uploaded.</summary>
    public long PacksWritten => Interlocked.Read(ref _packsWritten);

    /// <summary>Blobs claimed by this writer that are not yet in the repository's index (queued, encoding or in a pack not yet uploaded).</summary>
    internal int BlobsInFlight => _queued.Count;

    /// <summary>
    /// Stores a blob unless it is already stored, taking ownership of <paramref name="content"/> (disposed once
    /// encoded, or at once when the blob is a duplicate). Returns the blob's ID; the blob may still be on its way
    /// until <see cref="CompleteAsync"/>.
    /// </summary>
    internal async ValueTask<BlobId> AddBlobAsync(PooledBuffer content, BlobType type, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var id = _blobs.ComputeId(content.Span);
        if (!Claim(id))
        {
            content.Dispose();
            return id;
        }

        await QueueAsync(id, type, content, content.Memory, preferSpeed: false, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Stores a blob unless it is already stored; copies <paramref name="content"/> only when it is new.</summary>
    public ValueTask<BlobId> AddBlobAsync(ReadOnlyMemory<byte> content, BlobType type, CancellationToken cancellationToken = default) =>
        AddBlobAsync(content, type, preferSpeed: false, cancellationToken);

    /// <summary>
    /// Stores a blob unless it is already stored; says whether this call queued it (false: stored already, or queued
    /// by an earlier call of this writer).
    /// </summary>
    internal ValueTask<(BlobId Id, bool Queued)> AddBlobIfNewAsync(ReadOnlyMemory<byte> content, BlobType type, CancellationToken cancellationToken) =>
        AddAsync(content, type, preferSpeed: false, cancellationToken);

    /// <summary>
    /// Stores a blob unless it is already stored, encoded for speed when <paramref name="preferSpeed"/>
    /// (<see cref="TransformContext.PreferSpeed"/>); copies <paramref name="content"/> only when it is new.
    /// </summary>
    internal async ValueTask<BlobId> AddBlobAsync(ReadOnlyMemory<byte> content, BlobType type, bool preferSpeed, CancellationToken cancellationToken) =>
        (await AddAsync(content, type, preferSpeed, cancellationToken).ConfigureAwait(false)).Id;

    private async ValueTask<(BlobId Id, bool Queued)> AddAsync(ReadOnlyMemory<byte> content, BlobType type, bool preferSpeed, CancellationToken cancellationToken)
    {
        // Hashed where it lies, so a blob already stored (most of a re-backup) is never copied.
        var id = _blobs.ComputeId(content.Span);
        if (!Claim(id))
        {
            return (id, false);
        }

        await QueueAsync(id, type, null, content, preferSpeed, cancellationToken).ConfigureAwait(false);
        return (id, true);
    }

    /// <summary>Waits for every queued blob, uploads the last pack, then writes the index. Call once.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The writer has already completed.");
        }

        _completed = true;
        await using var registration = cancellationToken.Register(StopAll).ConfigureAwait(false);
        _jobs.Writer.TryComplete();
        await AwaitQuietlyAsync(_workers).ConfigureAwait(false);
        if (_failure is not null)
        {
            await DropPackBeingFilledAsync().ConfigureAwait(false);
        }
        else
        {
            // The workers have stopped, so nothing else touches the pack being filled.
            var last = _current;
            _current = null;
            if (last is not null)
            {
                try
                {
                    await EnqueueUploadAsync(last).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_failure is not null)
                {
                    // The uploader failed meanwhile; its error, not the cancellation, is what the caller needs.
                }
            }
        }

        _uploads.Writer.TryComplete();
        await AwaitQuietlyAsync(_uploader).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfFailed();
        if (!_uploader.IsCompletedSuccessfully || !_workers.IsCompletedSuccessfully || !_queued.IsEmpty)
        {
            // Whatever stopped them, an index written now would leave out blobs a snapshot is about to reference.
            throw new OperationCanceledException("The writer was stopped before every blob it was given was stored.");
        }

        await EnsureLockHeldAsync(cancellationToken).ConfigureAwait(false);
        await WriteIndexAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether a file's content may be referenced as the previous snapshot stored it, without reading the file: not
    /// when a chunk of it is in a pack that storage no longer holds (checked only when there is such a pack).
    /// </summary>
    internal bool CanReuse(IReadOnlyList<BlobId> ids) => _blobs.MissingPacks.Count == 0 || ids.All(id => _blobs.TryGetStored(id, out _));

    /// <summary>
    /// Records blobs a snapshot references without adding them (a file unchanged since the parent snapshot), so a
    /// lapsed lock's check covers their packs too.
    /// </summary>
    internal void NoteReused(IReadOnlyList<BlobId> ids)
    {
        if (_lock is null)
        {
            return;
        }

        foreach (var id in ids)
        {
            NoteReused(id);
        }
    }

    /// <summary>
    /// Stops the workers; packs already uploaded stay and are reused by the next writer, and so do the packs already
    /// filled when an encoder failed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_failure is null && !_stopUploads.IsCancellationRequested)
        {
            // Stopped from outside (cancelled, or the caller failed): no waiting for uploads.
            await _stopUploads.CancelAsync().ConfigureAwait(false);
        }

        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _jobs.Writer.TryComplete();
        await AwaitQuietlyAsync(_workers).ConfigureAwait(false);
        await DropPackBeingFilledAsync().ConfigureAwait(false);
        _uploads.Writer.TryComplete();
        await AwaitQuietlyAsync(_uploader).ConfigureAwait(false);
        while (_jobs.Reader.TryRead(out var job))
        {
            job.Content.Dispose();
        }

        while (_uploads.Reader.TryRead(out var pack))
        {
            await pack.DisposeAsync().ConfigureAwait(false);
        }

        await _cancellation.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _stopUploads.Dispose();
        _addGate.Dispose();
        _slots.Dispose();
    }

    private async Task EncodeLoopAsync()
    {
        // Sized once for the largest chunk, so neither grows through the size classes of the pool (every array
        // outgrown would stay in it, touched); each is touched only as far as the largest blob it held.
        var room = TransformChain.IntermediateRoom(_blobs.Config.Chunker.MaxSize);
        using var scratch = new PooledBufferWriter(room, _blobs.BufferPool);
        using var encoded = new PooledBufferWriter(room + 1024, _blobs.BufferPool);
        try
        {
            await foreach (var job in _jobs.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                PackBuilder? full = null;
                using (job.Content)
                {
                    encoded.Reset();
                    _blobs.Chain.EncodeTo(job.Content.Span, job.Id.ToArray(), encoded, scratch, job.PreferSpeed);
                    if (encoded.WrittenMemory.Length > PackFormat.MaxStoredLength)
                    {
                        // Readers refuse such a listing as damaged: storing it would lose the blob.
                        throw new InvalidOperationException($"A blob of {job.Content.Length:N0} bytes took {encoded.WrittenMemory.Length:N0} bytes encoded, more than a repository can list ({PackFormat.MaxStoredLength:N0}): a transform grew it too much. Remove or fix that transform.");
                    }

                    // Adding and handing off a full pack is one step for one worker at a time: a worker waiting to
                    // hand off a full pack holds the others back, so at most one pack fills, one waits and one
                    // uploads, whatever the number of workers (otherwise each worker could hold a full pack).
                    await _addGate.WaitAsync(_stop.Token).ConfigureAwait(false);
                    try
                    {
                        _current ??= await StartPackAsync().ConfigureAwait(false);
                        await _current.AddAsync(job.Id, job.Type, encoded.WrittenMemory, (uint)job.Content.Length, _stop.Token).ConfigureAwait(false);
                        if (_current.Length >= _blobs.Config.PackSize)
                        {
                            full = _current;
                            _current = null;
                        }

                        Interlocked.Increment(ref _blobsAdded);
                        Interlocked.Add(ref _bytesAdded, job.Content.Length);
                        if (full is not null)
                        {
                            await EnqueueUploadAsync(full).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        _addGate.Release();
                    }
                }

                _slots.Release();
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }
    }

    /// <summary>
    /// Starts a pack: spooled by the target itself when it can stage objects (a local disk), so packs waiting to be
    /// sealed cost no memory; in a buffer from the repository's pool otherwise.
    /// </summary>
    private async Task<PackBuilder> StartPackAsync()
    {
        var sink = _blobs.Target.GetCapability<IStagingTarget>() is { } staging
            ? await staging.BeginObjectAsync(_stop.Token).ConfigureAwait(false)
            : new BufferedStagedObject(_blobs.Target, _blobs.Config.PackSize + (_blobs.Config.PackSize / 4), _blobs.BufferPool);
        return new PackBuilder(sink);
    }

    /// <summary>Whether <paramref name="id"/> is new to the repository and to this writer (and is now this caller's to queue).</summary>
    private bool Claim(BlobId id)
    {
        if (_lock is null)
        {
            return !_blobs.TryGetStored(id, out _) && ClaimUnindexed(id);
        }

        if (_blobs.TryGetStored(id, out var location))
        {
            // Remembered for the check after a lapsed lock: the pack this duplicate was resolved to must still exist.
            RememberReusedPack(location.Pack);
            return false;
        }

        return ClaimUnindexed(id);
    }

    /// <summary>
    /// Claims a blob the index did not hold a moment ago. The uploader indexes a blob before it releases the claim, so
    /// a claim won just after that release sees the blob in the index on the second look.
    /// </summary>
    private bool ClaimUnindexed(BlobId id)
    {
        if (!_queued.TryAdd(id, 0))
        {
            return false;
        }

        if (_blobs.TryGetStored(id, out _))
        {
            _queued.TryRemove(id, out _);
            return false;
        }

        return true;
    }

    private void NoteReused(BlobId id)
    {
        if (!_blobs.TryGetStored(id, out var location))
        {
            _reusedUnknown.TryAdd(id, 0);
        }
        else
        {
            RememberReusedPack(location.Pack);
        }
    }

    /// <summary>Looks before adding: nearly every blob lies in a pack already remembered, and a lookup takes no lock.</summary>
    private void RememberReusedPack(BlobId pack)
    {
        if (!_reusedPacks.ContainsKey(pack))
        {
            _reusedPacks.TryAdd(pack, 0);
        }
    }

    /// <summary>
    /// Does nothing while the lock certainly holds. When it may have lapsed, re-takes it and checks that every pack this
    /// writer references (written or reused) still exists; unindexed packs found at open that are gone are not indexed.
    /// </summary>
    /// <exception cref="RepositoryLockLapsedException">An exclusive lock is live, or a referenced pack is gone.</exception>
    internal async Task EnsureLockHeldAsync(CancellationToken cancellationToken)
    {
        if (_lock?.MayHaveLapsed() is not { } reason)
        {
            return;
        }

        await _lock.ReassertAsync(cancellationToken).ConfigureAwait(false);
        var present = await _blobs.ListPackIdsAsync(cancellationToken).ConfigureAwait(false);

        var needed = new HashSet<BlobId>(_reusedPacks.Keys);
        lock (_uploaded)
        {
            needed.UnionWith(_uploaded.Select(p => p.Pack));
            needed.UnionWith(_indexedEarly);
        }

        var missing = needed.Where(p => !present.Contains(p)).ToList();
        if (missing.Count > 0 || !_reusedUnknown.IsEmpty)
        {
            var what = missing.Count > 0
                ? $"{missing.Count} pack(s) holding data it references were deleted meanwhile (pack {missing[0].ToShortString()}{(missing.Count > 1 ? " and others" : "")}), most likely by a prune"
                : $"{_reusedUnknown.Count} blob(s) it reuses from the previous snapshot are not in the index (blob {_reusedUnknown.Keys.First().ToShortString()})";
            throw new RepositoryLockLapsedException(
                $"The repository lock in {_blobs.Target.Description} lapsed while writing ({reason}), and {what}. " +
                "Nothing that references the missing data was saved (no snapshot, and no index naming a missing pack); run it again.");
        }

        foreach (var pack in _blobs.UnindexedPacks.Keys)
        {
            if (!present.Contains(pack))
            {
                _blobs.UnindexedPacks.TryRemove(pack, out _);
            }
        }
    }

    /// <summary>
    /// Hands a new blob to the encoders once one of the limited slots for blobs in flight is free; the content is
    /// copied (when not <paramref name="owned"/>) only then, so waiting callers hold no copies.
    /// </summary>
    private async Task QueueAsync(BlobId id, BlobType type, PooledBuffer? owned, ReadOnlyMemory<byte> content, bool preferSpeed, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var buffer = owned;
        var holdsSlot = false;
        try
        {
            await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
            holdsSlot = true;
            if (buffer is null)
            {
                // Every copy takes an array of one size (the largest chunk), so the pool keeps as many as are queued
                // at once rather than that many per size class; each is touched only as far as its blobs reached.
                buffer = new PooledBuffer(Math.Max(content.Length, _blobs.Config.Chunker.MaxSize), _blobs.BufferPool);
                buffer.Shrink(content.Length);
                content.Span.CopyTo(buffer.Span);
            }

            await _jobs.Writer.WriteAsync(new Job(id, type, buffer, preferSpeed), linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            buffer?.Dispose();
            if (holdsSlot)
            {
                _slots.Release();
            }

            if (ex is OperationCanceledException or ChannelClosedException && !cancellationToken.IsCancellationRequested)
            {
                ThrowIfFailed();
            }

            throw;
        }
    }

    private async Task EnqueueUploadAsync(PackBuilder pack)
    {
        try
        {
            // A full pack is handed off even after another encoder failed: only a stop of the uploads drops it.
            await _uploads.Writer.WriteAsync(pack, _stopUploads.Token).ConfigureAwait(false);
        }
        catch
        {
            await pack.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task UploadLoopAsync()
    {
        try
        {
            await foreach (var pack in _uploads.Reader.ReadAllAsync(_stopUploads.Token).ConfigureAwait(false))
            {
                await using (pack.ConfigureAwait(false))
                {
                    // Sealing and committing run here, beside the encoders rather than in their way (a worker
                    // handing off a full pack holds the others back while it does so).
                    await pack.SealAsync(_blobs.Chain, _stopUploads.Token).ConfigureAwait(false);
                    foreach (var entry in pack.Entries)
                    {
                        _blobs.RecordStored(entry.Id, new BlobLocation(pack.Id, entry.Type, entry.Offset, entry.Length, entry.RawLength));
                        // Held no longer than this: a first backup of millions of chunks would otherwise keep a
                        // second copy of every ID it stored until the end.
                        _queued.TryRemove(entry.Id, out _);
                    }

                    lock (_uploaded)
                    {
                        _uploaded.Add((pack.Id, pack.Entries));
                    }

                    Interlocked.Add(ref _bytesStored, pack.Length);
                    Interlocked.Increment(ref _packsWritten);
                    _uploadedBlobs += pack.Entries.Count;
                    if (_uploadedBlobs >= _indexFlushBlobs)
                    {
                        await IndexUploadedEarlyAsync(_stopUploads.Token).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
            StopAll();
            throw;
        }
    }

    /// <summary>
    /// Writes an index object for the packs uploaded so far and lets go of their header entries, as a full index
    /// object's worth of blobs is reached: memory stays bounded by one index object however large the backup, and a
    /// run that dies later leaves those packs indexed. Like the final index, it is written only while the lock holds.
    /// </summary>
    private async Task IndexUploadedEarlyAsync(CancellationToken cancellationToken)
    {
        await EnsureLockHeldAsync(cancellationToken).ConfigureAwait(false);
        List<(BlobId Pack, IReadOnlyList<PackHeaderEntry> Entries)> packs;
        lock (_uploaded)
        {
            packs = [.. _uploaded.Select(p => (p.Pack, (IReadOnlyList<PackHeaderEntry>)p.Entries))];
        }

        await _blobs.WriteIndexAsync(packs, [], cancellationToken).ConfigureAwait(false);
        lock (_uploaded)
        {
            _indexedEarly.AddRange(packs.Select(p => p.Pack));
            _uploaded.RemoveRange(0, packs.Count);
        }

        _uploadedBlobs = 0;
    }

    private async Task WriteIndexAsync(CancellationToken cancellationToken)
    {
        var packs = new List<(BlobId Pack, IReadOnlyList<PackHeaderEntry> Entries)>();
        lock (_uploaded)
        {
            packs.AddRange(_uploaded.Select(p => (p.Pack, (IReadOnlyList<PackHeaderEntry>)p.Entries)));
        }

        // Packs a stopped writer left behind are indexed now, so they stop costing a header read on every open.
        foreach (var (pack, entries) in _blobs.UnindexedPacks)
        {
            packs.Add((pack, entries));
        }

        await _blobs.WriteIndexAsync(packs, [], cancellationToken).ConfigureAwait(false);

        foreach (var (pack, _) in packs)
        {
            _blobs.UnindexedPacks.TryRemove(pack, out _);
        }
    }

    /// <summary>Records the first failure and stops the encoders; the uploader goes on with the packs already filled.</summary>
    private void Fail(Exception exception)
    {
        // A cancellation nobody here asked for (an HTTP client's timeout) is a failure like any other: taken for a
        // stop, it would let the index and the snapshot be written without the pack it cost.
        if (exception is not OperationCanceledException || !(_stop.IsCancellationRequested || _stopUploads.IsCancellationRequested))
        {
            Interlocked.CompareExchange(ref _failure, exception, null);
        }

        _stop.Cancel();
    }

    private void StopAll()
    {
        _stop.Cancel();
        _stopUploads.Cancel();
    }

    /// <summary>Removes the pack the encoders were filling when they stopped (its space goes first to sealing the filled ones).</summary>
    private async Task DropPackBeingFilledAsync()
    {
        if (_current is not null)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    private static async Task AwaitQuietlyAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch
        {
            // Failures are recorded by Fail and rethrown by ThrowIfFailed.
        }
    }

    private readonly record struct Job(BlobId Id, BlobType Type, PooledBuffer Content, bool PreferSpeed);

    /// <summary>A pack being filled: blobs appended to its sink as they come, the header and trailer at the end, named by the hash of it all.</summary>
    private sealed class PackBuilder(IStagedObject sink) : IAsyncDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public List<PackHeaderEntry> Entries { get; } = [];

        public long Length => sink.Length;

        public BlobId Id { get; private set; }

        public async ValueTask AddAsync(BlobId id, BlobType type, ReadOnlyMemory<byte> encoded, uint rawLength, CancellationToken cancellationToken)
        {
            Entries.Add(new PackHeaderEntry(id, type, (uint)sink.Length, (uint)encoded.Length, rawLength));
            _hash.AppendData(encoded.Span);
            await sink.AppendAsync(encoded, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Appends the header and trailer and puts the pack under its name.</summary>
        public async Task SealAsync(Transforms.TransformChain chain, CancellationToken cancellationToken)
        {
            var tail = PackFormat.EncodeHeaderAndTrailer(Entries, chain);
            _hash.AppendData(tail);
            await sink.AppendAsync(tail, cancellationToken).ConfigureAwait(false);
            Id = new BlobId(_hash.GetHashAndReset());
            await sink.CommitAsync(RepositoryLayout.PackKey(Id), cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            _hash.Dispose();
            await sink.DisposeAsync().ConfigureAwait(false);
        }
    }
}
