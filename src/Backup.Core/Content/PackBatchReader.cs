using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Content;

/// <summary>
/// Reads the blobs an operation will need per pack instead of per blob: on a remote store each request costs tens of
/// milliseconds (and money), and an operation that reads small files one by one makes one request per file. The caller
/// first says which blobs it needs (<see cref="Need"/>, once per use), then <see cref="Start"/>s the reader, which
/// fetches the packs in the order they are first needed, several at once, each with one ranged read covering its needed
/// blobs (neighbours merged; a range splits only at a long stretch of unneeded data). Readers take blobs with
/// <see cref="TryReadAsync"/>; a range's buffer goes back to the pool once every planned use of its blobs was served.
/// </summary>
/// <remarks>
/// Memory is bounded by <c>memoryBudget</c>: the prefetch waits while the fetched ranges fill it. A reader that needs a
/// pack not fetched yet fetches it at once (so a blob planned twice, far apart, never deadlocks the prefetch), and
/// when that goes over the budget the least recently used ranges are dropped; their blobs are read again if they are
/// needed again. A blob that was not planned, or whose pack cannot be read, is not served here (false): the caller
/// reads it alone, which reports what is wrong. Trees can be read the same way while planning
/// (<see cref="ReadTreeAsync"/>): a pack's trees come with one read, and that read is kept for the blobs planned later.
/// </remarks>
internal sealed class PackBatchReader : IAsyncDisposable
{
    /// <summary>Unneeded bytes between two needed blobs that are read through rather than split into two requests.</summary>
    internal const int MaxGap = 1024 * 1024;

    /// <summary>How many distinct blobs are planned at most, so a restore of millions of files keeps its plan small.</summary>
    private const int MaxPlannedBlobs = 4 * 1024 * 1024;

    private readonly BlobStore _blobs;
    private readonly long _budget;
    private readonly int _inFlight;
    private readonly object _gate = new();
    private readonly Dictionary<BlobId, Use> _uses = [];
    private readonly Dictionary<BlobId, PackState> _packs = [];
    private readonly List<PackState> _order = [];
    private readonly HashSet<Range> _live = [];
    private readonly List<Task> _fetches = [];
    private readonly SemaphoreSlim _freed = new(0);
    private readonly CancellationTokenSource _stop = new();
    private Dictionary<BlobId, (List<(BlobId Id, BlobLocation Location)> Entries, long Start, long End)>? _treesByPack;
    private Task? _prefetch;
    private long _liveBytes, _peakBytes, _clock;
    private int _fetching, _rangeReads;

    /// <summary>Bytes of fetched ranges held at most by default (about: a reader that cannot wait may add one pack).</summary>
    internal const long DefaultMemoryBudget = 128L * 1024 * 1024;

    /// <summary>Packs fetched at once by default, enough to hide a remote store's latency behind the transfer of the others.</summary>
    internal const int DefaultInFlight = 4;

    /// <summary>Reads from <paramref name="blobs"/>, holding at most about <paramref name="memoryBudget"/> bytes of fetched ranges and fetching up to <paramref name="inFlight"/> packs at once.</summary>
    public PackBatchReader(BlobStore blobs, long memoryBudget = DefaultMemoryBudget, int inFlight = DefaultInFlight)
    {
        _blobs = blobs;
        _budget = memoryBudget;
        _inFlight = inFlight;
    }

    /// <summary>Requests made to the target for ranges (for tests and traces).</summary>
    public int RangeReads => Volatile.Read(ref _rangeReads);

    /// <summary>Bytes of fetched ranges held now.</summary>
    public long LiveBytes { get { lock (_gate) { return _liveBytes; } } }

    /// <summary>The most bytes of fetched ranges held at once.</summary>
    public long PeakBytes { get { lock (_gate) { return _peakBytes; } } }

    /// <summary>Records one future use of <paramref name="id"/> (call before <see cref="Start"/>).</summary>
    public void Need(BlobId id)
    {
        lock (_gate)
        {
            if (_uses.TryGetValue(id, out var use))
            {
                use.Remaining++;
                return;
            }

            if (_uses.Count >= MaxPlannedBlobs || !_blobs.Index.TryGet(id, out var location))
            {
                return;
            }

            if (!_packs.TryGetValue(location.Pack, out var pack))
            {
                _packs[location.Pack] = pack = new PackState(location.Pack);
                _order.Add(pack);
            }

            use = new Use(id, location, pack) { Remaining = 1 };
            _uses[id] = use;
            pack.Uses.Add(use);
        }
    }

    /// <summary>
    /// Reads tree <paramref name="id"/> into <paramref name="destination"/> while planning: the first tree of a pack
    /// fetches the ranges holding all of that pack's trees, which are kept (within the budget) for the blobs planned
    /// later; with <paramref name="wholePacks"/> (everything below the trees will be needed, as in a full restore) a
    /// pack whose trees are spread over most of it is read whole, so its data needs no second request. False when
    /// the tree is not in the index or its pack cannot be read (read it alone).
    /// </summary>
    public async Task<bool> ReadTreeAsync(BlobId id, PooledBufferWriter destination, bool wholePacks, CancellationToken cancellationToken)
    {
        if (!_blobs.Index.TryGet(id, out var location))
        {
            return false;
        }

        Task fetch;
        lock (_gate)
        {
            if (!_packs.TryGetValue(location.Pack, out var pack))
            {
                _packs[location.Pack] = pack = new PackState(location.Pack);
                _order.Add(pack);
            }

            if (pack.Held.Find(r => r.Covers(location)) is { } held)
            {
                Decode(id, location, held, destination);
                return true;
            }

            if (pack.TreeFetch is null)
            {
                _treesByPack ??= _blobs.Index.ListByPack(BlobType.Tree);
                List<BlobLocation> sorted = _treesByPack.TryGetValue(location.Pack, out var trees) ? [.. trees.Entries.Select(t => t.Location).OrderBy(l => l.Offset)] : [location];
                var treeSpan = (long)sorted[^1].Offset + sorted[^1].Length - sorted[0].Offset;
                var whole = wholePacks && trees.End > trees.Start && treeSpan * 2 >= trees.End - trees.Start;
                if (whole)
                {
                    // Two locations standing for the pack's first and last bytes: one read covers all of it.
                    sorted = [location with { Offset = (uint)trees.Start, Length = 0 }, .. sorted, location with { Offset = (uint)trees.End, Length = 0 }];
                }

                pack.TreeFetch = Task.Run(() => FetchTreesAsync(pack, sorted, whole, _stop.Token), CancellationToken.None);
            }

            fetch = pack.TreeFetch;
        }

        try
        {
            await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return false;
        }

        lock (_gate)
        {
            if (_packs[location.Pack].Held.Find(r => r.Covers(location)) is not { } held)
            {
                return false;
            }

            Decode(id, location, held, destination);
            return true;
        }
    }

    /// <summary>Ends planning: binds planned blobs to the ranges already read for trees, and starts fetching packs ahead.</summary>
    public void Start()
    {
        lock (_gate)
        {
            foreach (var pack in _order)
            {
                foreach (var use in pack.Uses)
                {
                    if (pack.Held.Find(r => r.Covers(use.Location)) is { } range)
                    {
                        use.Range = range;
                        range.Remaining += use.Remaining;
                    }
                }

                foreach (var range in pack.Held)
                {
                    ReleaseIfDone(range);
                }

                pack.Held.Clear();
            }
        }

        _prefetch = Task.Run(PrefetchAsync, CancellationToken.None);
    }

    /// <summary>
    /// Decodes planned blob <paramref name="id"/> into <paramref name="destination"/>, fetching its pack if that was
    /// not done yet; false when the blob was not planned (or all its planned uses were served) or its pack could not
    /// be read: then the caller reads it alone.
    /// </summary>
    public async ValueTask<bool> TryReadAsync(BlobId id, PooledBufferWriter destination, CancellationToken cancellationToken)
    {
        Use? use;
        Task? fetch = null;
        lock (_gate)
        {
            if (!_uses.TryGetValue(id, out use) || use.Remaining == 0)
            {
                return false;
            }

            if (use.Range is not { Released: false })
            {
                var pack = use.Pack;
                if (pack.Fetch is null || pack.Fetch.IsCompleted)
                {
                    pack.Fetch = FetchAsync(pack, demand: true);
                }

                fetch = pack.Fetch;
            }
        }

        if (fetch is not null)
        {
            try
            {
                await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        Range range;
        lock (_gate)
        {
            if (use.Range is not { Released: false } bound || use.Remaining == 0)
            {
                return false;
            }

            range = bound;
            range.Pins++;
            range.LastUse = ++_clock;
            use.Remaining--;
            range.Remaining--;
        }

        try
        {
            Decode(id, use.Location, range, destination);
        }
        finally
        {
            lock (_gate)
            {
                range.Pins--;
                ReleaseIfDone(range);
            }
        }

        return true;
    }

    private void Decode(BlobId id, BlobLocation location, Range range, PooledBufferWriter destination) =>
        _blobs.DecodeBlob(id, range.Buffer.Span.Slice((int)(location.Offset - range.Low), (int)location.Length), location.RawLength, destination);

    /// <summary>Starts the packs in the order they are first needed, while the budget and the in-flight limit allow.</summary>
    private async Task PrefetchAsync()
    {
        try
        {
            foreach (var pack in _order)
            {
                while (true)
                {
                    lock (_gate)
                    {
                        if (pack.Fetch is not null)
                        {
                            break;
                        }

                        var estimate = Estimate(pack);
                        if (estimate == 0)
                        {
                            break;
                        }

                        if (_fetching < _inFlight && (_liveBytes == 0 || _liveBytes + estimate <= _budget))
                        {
                            pack.Fetch = FetchAsync(pack, demand: false);
                            break;
                        }
                    }

                    await _freed.WaitAsync(_stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: the readers are done or gone.
        }
    }

    /// <summary>The bytes a fetch of <paramref name="pack"/> would read now (its pending blobs' span).</summary>
    private static long Estimate(PackState pack)
    {
        long low = long.MaxValue, high = 0;
        foreach (var use in pack.Uses)
        {
            if (use.Remaining > 0 && use.Range is not { Released: false })
            {
                low = Math.Min(low, use.Location.Offset);
                high = Math.Max(high, (long)use.Location.Offset + use.Location.Length);
            }
        }

        return high == 0 ? 0 : high - low;
    }

    /// <summary>Fetches the ranges covering the pending blobs of <paramref name="pack"/> and binds the blobs to them.</summary>
    private Task FetchAsync(PackState pack, bool demand)
    {
        List<Use> pending;
        lock (_gate)
        {
            pending = [.. pack.Uses.Where(u => u.Remaining > 0 && u.Range is not { Released: false }).OrderBy(u => u.Location.Offset)];
            _fetching++;
        }

        // Off the caller's thread: a local target reads synchronously, and the caller may hold the gate.
        var task = Task.Run(() => FetchRangesAsync(pack, pending, demand), CancellationToken.None);
        lock (_gate)
        {
            _fetches.Add(task);
        }

        return task;
    }

    private async Task FetchRangesAsync(PackState pack, List<Use> pending, bool demand)
    {
        try
        {
            var groups = Group(pending, u => u.Location);
            var ranges = await Task.WhenAll(groups.Select(g => ReadRangeAsync(g[0].Id, g.Select(u => u.Location).ToList(), _stop.Token))).ConfigureAwait(false);
            lock (_gate)
            {
                for (var i = 0; i < groups.Count; i++)
                {
                    foreach (var use in groups[i])
                    {
                        use.Range = ranges[i];
                        ranges[i].Remaining += use.Remaining;
                    }

                    ranges[i].LastUse = ++_clock;
                }

                if (demand)
                {
                    EvictOverBudget(ranges);
                }

                foreach (var range in ranges)
                {
                    ReleaseIfDone(range);
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _fetching--;
            }

            _freed.Release();
        }
    }

    private async Task FetchTreesAsync(PackState pack, List<BlobLocation> trees, bool whole, CancellationToken cancellationToken)
    {
        var groups = whole ? [trees] : Group(trees, l => l);
        var ranges = await Task.WhenAll(groups.Select(g => ReadRangeAsync(default, g, cancellationToken))).ConfigureAwait(false);
        lock (_gate)
        {
            pack.Held.AddRange(ranges);

            // While planning, ranges read for trees are kept for the blobs planned after them, up to the budget.
            foreach (var old in _order)
            {
                if (_liveBytes <= _budget)
                {
                    break;
                }

                if (old != pack)
                {
                    foreach (var range in old.Held)
                    {
                        Release(range);
                    }

                    old.Held.Clear();
                }
            }
        }
    }

    /// <summary>Splits items sorted by offset into groups that one read covers: split where unneeded data runs longer than <see cref="MaxGap"/>, or a range would exceed a pack.</summary>
    private static List<List<T>> Group<T>(List<T> sorted, Func<T, BlobLocation> location)
    {
        var groups = new List<List<T>>();
        List<T>? current = null;
        long start = 0, end = 0;
        foreach (var item in sorted)
        {
            var l = location(item);
            if (current is null || l.Offset - end > MaxGap || (long)l.Offset + l.Length - start > ObjectSizeLimits.Pack)
            {
                groups.Add(current = []);
                start = l.Offset;
            }

            current.Add(item);
            end = Math.Max(end, (long)l.Offset + l.Length);
        }

        return groups;
    }

    private async Task<Range> ReadRangeAsync(BlobId first, List<BlobLocation> locations, CancellationToken cancellationToken)
    {
        var low = locations.Min(l => l.Offset);
        var length = locations.Max(l => (long)l.Offset + l.Length) - low;
        lock (_gate)
        {
            _liveBytes += length;
            _peakBytes = Math.Max(_peakBytes, _liveBytes);
        }

        Interlocked.Increment(ref _rangeReads);
        try
        {
            var buffer = await _blobs.ReadStoredAsync(first, locations[0] with { Offset = low }, (int)length, cancellationToken).ConfigureAwait(false);
            var range = new Range(buffer, low);
            lock (_gate)
            {
                _live.Add(range);
            }

            return range;
        }
        catch
        {
            lock (_gate)
            {
                _liveBytes -= length;
            }

            _freed.Release();
            throw;
        }
    }

    /// <summary>Drops the least recently used ranges (none in use, none of <paramref name="keep"/>) until the held bytes fit the budget.</summary>
    private void EvictOverBudget(Range[] keep)
    {
        if (_liveBytes <= _budget)
        {
            return;
        }

        foreach (var range in _live.Where(r => r.Pins == 0 && !keep.Contains(r)).OrderBy(r => r.LastUse).ToList())
        {
            Release(range);
            if (_liveBytes <= _budget)
            {
                return;
            }
        }
    }

    private void ReleaseIfDone(Range range)
    {
        if (range.Remaining <= 0 && range.Pins == 0)
        {
            Release(range);
        }
    }

    private void Release(Range range)
    {
        if (range.Released || range.Pins > 0)
        {
            return;
        }

        range.Released = true;
        _live.Remove(range);
        _liveBytes -= range.Buffer.Length;
        range.Buffer.Dispose();
        _freed.Release();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        List<Task> fetches;
        lock (_gate)
        {
            fetches = [.. _fetches, .. _packs.Values.Select(p => p.TreeFetch).OfType<Task>()];
            if (_prefetch is not null)
            {
                fetches.Add(_prefetch);
            }
        }

        foreach (var fetch in fetches)
        {
            try
            {
                await fetch.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Stopped, failed (its readers were told), or cancelled: only its buffers matter now.
            }
        }

        lock (_gate)
        {
            foreach (var range in _live.ToList())
            {
                range.Pins = 0;
                Release(range);
            }

            foreach (var pack in _packs.Values)
            {
                foreach (var range in pack.Held)
                {
                    Release(range);
                }
            }
        }

        _stop.Dispose();
        _freed.Dispose();
    }

    /// <summary>A planned blob: where it is, how many uses are still to be served, and the fetched range holding it.</summary>
    private sealed class Use(BlobId id, BlobLocation location, PackState pack)
    {
        public BlobId Id { get; } = id;

        public BlobLocation Location { get; } = location;

        public PackState Pack { get; } = pack;

        public int Remaining { get; set; }

        public Range? Range { get; set; }
    }

    /// <summary>A pack with planned blobs: the blobs, the fetch under way, the ranges read for its trees while planning.</summary>
    private sealed class PackState(BlobId id)
    {
        public BlobId Id { get; } = id;

        public List<Use> Uses { get; } = [];

        public Task? Fetch { get; set; }

        public Task? TreeFetch { get; set; }

        public List<Range> Held { get; } = [];
    }

    /// <summary>Stored bytes of a pack from <see cref="Low"/>, held until the planned uses of its blobs were served.</summary>
    private sealed class Range(PooledBuffer buffer, long low)
    {
        public PooledBuffer Buffer { get; } = buffer;

        public long Low { get; } = low;

        public int Remaining { get; set; }

        public int Pins { get; set; }

        public long LastUse { get; set; }

        public bool Released { get; set; }

        public bool Covers(BlobLocation location) => !Released && location.Offset >= Low && (long)location.Offset + location.Length <= Low + Buffer.Length;
    }
}
