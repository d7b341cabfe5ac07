using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Backup.Core.Storage;

/// <summary>
/// Fails a request to a remote target that has not finished in time, as a transient <see cref="BackupTargetException"/>
/// that a <see cref="RetryingTarget"/> above tries again. A server that accepts connections and never answers would
/// otherwise hold a command for as long as its client library's own timeouts and retries allow: hours for S3, with
/// nothing printed.
/// </summary>
/// <remarks>
/// The time allowed is <see cref="Timeout"/> plus the time to move the request's bytes at
/// <see cref="SlowestBytesPerSecond"/> (16 MiB: 17 minutes more), so a large upload on a slow or shared link is not cut
/// short. Requests under way at once share the link, so each is also allowed the time to move the bytes of the requests
/// that overlap it: parallel reads (a restore, a check) on a slow link are not cut short either. A listing is allowed
/// the timeout and a page's bytes for each item it waits for (a page of a listing is one request). Placed directly on the provider's
/// target, below any bandwidth limit, so waiting for a limit's tokens does not count.
/// </remarks>
public sealed class RequestDeadlineTarget : DelegatingTarget
{
    /// <summary>The time a request without payload may take unless configured otherwise: 30 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The slowest transfer rate allowed for: a 128 kbit/s link, shared by the requests under way at once.</summary>
    public const long SlowestBytesPerSecond = 16 * 1024;

    private readonly TimeProvider _time;
    private readonly HashSet<Running> _running = [];
    private long _bytesRunning;

    /// <summary>Wraps <paramref name="inner"/>; when <paramref name="ownsInner"/> is true, disposing this disposes it.</summary>
    /// <param name="inner">The provider's target.</param>
    /// <param name="timeout">The time a request without payload may take; positive.</param>
    /// <param name="timeProvider">The clock of the deadlines; the system clock when null.</param>
    /// <param name="ownsInner">Whether disposing this disposes <paramref name="inner"/>.</param>
    public RequestDeadlineTarget(IBackupTarget inner, TimeSpan timeout, TimeProvider? timeProvider = null, bool ownsInner = false) : base(inner, ownsInner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        Timeout = timeout;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The time a request without payload (a stat, a delete) may take.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// The time a listing may wait for its next item: <see cref="Timeout"/> and a page's bytes (Azure sends up to 5,000
    /// names in one reply of about 4 MiB) at <see cref="SlowestBytesPerSecond"/>. A server that never answers is still
    /// found out quickly, by the small reads every command starts with.
    /// </summary>
    private TimeSpan ListingStep => Timeout + TimeSpan.FromSeconds((double)ListingPageBytes / SlowestBytesPerSecond);

    private const long ListingPageBytes = 4L * 1024 * 1024;

    /// <inheritdoc />
    public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        RunAsync(async ct => { await Inner.PutAsync(key, content, ct).ConfigureAwait(false); return true; }, content.Length, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The read lands in a buffer of its own and is copied to <paramref name="destination"/> only when it has finished: a
    /// read abandoned at its deadline may go on writing, and by then the caller's memory is being read by a retry of the
    /// same read or has gone back to a pool for other data. Its buffer goes back to the pool only once it has ended.
    /// </remarks>
    public override async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(destination.Length);
        Task<int>? read = null;
        try
        {
            var count = await RunAsync(ct => read = Inner.ReadAsync(key, offset, buffer.AsMemory(0, destination.Length), ct).AsTask(), destination.Length, cancellationToken).ConfigureAwait(false);
            buffer.AsSpan(0, count).CopyTo(destination.Span);
            return count;
        }
        finally
        {
            if (read is null || read.IsCompleted)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            else
            {
                _ = read.ContinueWith(static (_, state) => ArrayPool<byte>.Shared.Return((byte[])state!), buffer, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    /// <inheritdoc />
    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(async ct => { await Inner.DeleteAsync(key, ct).ConfigureAwait(false); return true; }, 0, cancellationToken);

    /// <inheritdoc />
    public override Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(ct => Inner.StatAsync(key, ct), 0, cancellationToken);

    /// <inheritdoc />
    public override async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var deadline = new CancellationTokenSource(System.Threading.Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var enumerator = Inner.ListAsync(prefix, linked.Token).GetAsyncEnumerator(linked.Token);
        var pending = Task.FromResult(false);
        try
        {
            while (true)
            {
                deadline.CancelAfter(ListingStep);
                pending = enumerator.MoveNextAsync().AsTask();
                bool hasNext;
                try
                {
                    hasNext = await pending.WaitAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw NoAnswer("a listing", ListingStep, ex);
                }

                if (!hasNext)
                {
                    yield break;
                }

                // The caller's time with an item is not the server's.
                deadline.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
                yield return enumerator.Current;
            }
        }
        finally
        {
            // An enumerator cannot be disposed while a step is still running: one abandoned above is disposed when it
            // ends, which the cancelled token hastens.
            if (pending.IsCompleted)
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _ = pending.ContinueWith(static (_, state) => ((IAsyncEnumerator<BackupObjectInfo>)state!).DisposeAsync().AsTask(), enumerator, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> request, long bytes, CancellationToken cancellationToken)
    {
        // Requests under way at once share the link: each is allowed the time to move its own bytes and those of every
        // request that overlaps it (under way when it starts, or started meanwhile), at the slowest rate. Its own bytes
        // alone would cut short the parallel reads of a restore or a check on a link that is slow but working.
        var share = TimeSpan.FromSeconds((double)bytes / SlowestBytesPerSecond);
        var running = new Running(_time.GetTimestamp());
        using var deadline = new CancellationTokenSource(System.Threading.Timeout.InfiniteTimeSpan, _time);
        lock (_running)
        {
            running.Allowed = Timeout + share + TimeSpan.FromSeconds((double)_bytesRunning / SlowestBytesPerSecond);
            foreach (var other in _running)
            {
                other.Allowed += share;
                other.Deadline!.CancelAfter(Remaining(other));
            }

            running.Deadline = deadline;
            deadline.CancelAfter(running.Allowed);
            _running.Add(running);
            _bytesRunning += bytes;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            // WaitAsync as well as the token: a client library that does not watch its token is not waited for either.
            return await request(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            TimeSpan allowed;
            lock (_running)
            {
                allowed = running.Allowed;
            }

            throw NoAnswer("a request", allowed, ex);
        }
        finally
        {
            lock (_running)
            {
                _running.Remove(running);
                _bytesRunning -= bytes;
            }
        }
    }

    private TimeSpan Remaining(Running running)
    {
        // At least a millisecond: a deadline already due fires from its timer, never inside the lock (which its
        // request's cleanup takes, on this thread when cancellation runs inline).
        var left = running.Allowed - _time.GetElapsedTime(running.Started);
        return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>A request under way: when it started, the time it is allowed so far, and its deadline.</summary>
    private sealed class Running(long started)
    {
        public long Started { get; } = started;

        public TimeSpan Allowed { get; set; }

        public CancellationTokenSource? Deadline { get; set; }
    }

    private BackupTargetException NoAnswer(string what, TimeSpan allowed, Exception inner) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{Inner.Description} did not finish {what} within {allowed.TotalSeconds:0.#} s: the server accepts connections but does not answer; check that it is up and not overloaded, then run the command again."),
            inner)
        { IsTransient = true };
}
