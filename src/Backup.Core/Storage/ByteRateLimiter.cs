using System.Threading.RateLimiting;

namespace Backup.Core.Storage;

/// <summary>
/// A token bucket of bytes per second that many concurrent requests share: each takes its bytes in slices, queued
/// oldest first, so a large object does not make the others wait for all of it and every request gets a fair share.
/// </summary>
/// <remarks>
/// The bucket starts empty and holds at most 50 ms of the rate, so an idle spell cannot be spent as a long burst.
/// A timer of <see cref="TimeProvider"/> refills it every 20 ms; each refill adds what the time elapsed since the last
/// one has earned (the library's own monotonic count), so a late or early timer tick neither loses nor adds bytes.
/// </remarks>
internal sealed class ByteRateLimiter : IDisposable
{
    /// <summary>The largest slice one acquisition takes.</summary>
    internal const int MaxSlice = 64 * 1024;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    private readonly TokenBucketRateLimiter _bucket;
    private readonly ITimer _timer;

    public ByteRateLimiter(long bytesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytesPerSecond, BandwidthLimitOptions.MaxBytesPerSecond);
        ArgumentNullException.ThrowIfNull(time);

        // A tenth of a second's worth per slice at low rates, so a slow limit is not taken in bursts of 64 KiB.
        Slice = (int)Math.Clamp(bytesPerSecond / 10, 1, MaxSlice);
        Capacity = (int)Math.Max(Slice, bytesPerSecond / 20);
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Capacity,
            TokensPerPeriod = (int)bytesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            AutoReplenishment = false,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });

        // The bucket is created full; start it empty so the first second is limited too.
        using (_bucket.AttemptAcquire(Capacity))
        {
        }

        _timer = time.CreateTimer(static state => ((ByteRateLimiter)state!).Refill(), this, Tick, Tick);
    }

    /// <summary>The bytes one acquisition takes at most.</summary>
    public int Slice { get; }

    /// <summary>The bytes the bucket holds at most: the largest burst after an idle spell.</summary>
    public int Capacity { get; }

    /// <summary>The bytes that may pass now without waiting (for tests).</summary>
    internal long AvailableBytes => _bucket.GetStatistics()!.CurrentAvailablePermits;

    /// <summary>The bytes of the slices waiting for the bucket (for tests).</summary>
    internal long WaitingBytes => _bucket.GetStatistics()!.CurrentQueuedCount;

    /// <summary>Waits until <paramref name="bytes"/> may pass, taking them slice by slice.</summary>
    public async ValueTask AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        while (bytes > 0)
        {
            var slice = (int)Math.Min(bytes, Slice);
            using var lease = await _bucket.AcquireAsync(slice, cancellationToken).ConfigureAwait(false);

            // Only a disposed limiter refuses (the queue is unbounded).
            ObjectDisposedException.ThrowIf(!lease.IsAcquired, this);
            bytes -= slice;
        }
    }

    /// <summary>Adds what the time since the last refill has earned (a full bucket drops the rest) and lets waiters through.</summary>
    internal void Refill() => _bucket.TryReplenish();

    public void Dispose()
    {
        _timer.Dispose();
        _bucket.Dispose();
    }
}
