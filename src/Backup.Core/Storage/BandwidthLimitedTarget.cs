namespace Backup.Core.Storage;

/// <summary>
/// Limits the bytes a target uploads and downloads per second, across every request made through it at once: a
/// token bucket per direction (<see cref="BandwidthLimitOptions"/>), taken in slices of at most 64 KiB, oldest
/// request first, so concurrent requests share the limit fairly and a large object does not hold up the rest.
/// </summary>
/// <remarks>
/// <para>
/// A put (and a staged object's commit) waits for its bytes before it is sent, so on average the target is sent no
/// more than the limit; a read is charged the bytes it actually returned, after it returned them, so the reads that
/// follow wait. Listings, stats and deletes are not limited.
/// </para>
/// <para>
/// Place it directly around the storage target, inside <see cref="RetryingTarget"/>, so that a retried request is
/// charged again, as it is sent again. Capabilities are forwarded (see <see cref="DelegatingTarget"/>). Thread-safe.
/// </para>
/// </remarks>
public sealed class BandwidthLimitedTarget : DelegatingTarget
{
    private readonly ByteRateLimiter? _upload;
    private readonly ByteRateLimiter? _download;

    /// <summary>Wraps <paramref name="inner"/>; when <paramref name="ownsInner"/> is true, disposing this disposes it.</summary>
    /// <param name="inner">The storage target.</param>
    /// <param name="options">The limits, validated here.</param>
    /// <param name="timeProvider">The clock that refills the limits; the system clock when null.</param>
    /// <param name="ownsInner">Whether disposing this disposes <paramref name="inner"/>.</param>
    /// <exception cref="ArgumentException">A limit is out of range.</exception>
    public BandwidthLimitedTarget(IBackupTarget inner, BandwidthLimitOptions options, TimeProvider? timeProvider = null, bool ownsInner = false) : base(inner, ownsInner)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var time = timeProvider ?? TimeProvider.System;
        _upload = options.UploadBytesPerSecond is { } up ? new ByteRateLimiter(up, time) : null;
        _download = options.DownloadBytesPerSecond is { } down ? new ByteRateLimiter(down, time) : null;
    }

    /// <summary>The upload limiter, or null when uploads are unlimited (for tests).</summary>
    internal ByteRateLimiter? Upload => _upload;

    /// <summary>The download limiter, or null when downloads are unlimited (for tests).</summary>
    internal ByteRateLimiter? Download => _download;

    /// <inheritdoc />
    public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (_upload is not null)
        {
            await _upload.AcquireAsync(content.Length, cancellationToken).ConfigureAwait(false);
        }

        await Inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(key, offset, destination, cancellationToken).ConfigureAwait(false);
        if (_download is not null)
        {
            await _download.AcquireAsync(read, cancellationToken).ConfigureAwait(false);
        }

        return read;
    }

    /// <inheritdoc />
    protected override async Task CommitStagedAsync(string key, IStagedObject staged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        if (_upload is not null)
        {
            await _upload.AcquireAsync(staged.Length, cancellationToken).ConfigureAwait(false);
        }

        await staged.CommitAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override ValueTask DisposeAsyncCore()
    {
        _upload?.Dispose();
        _download?.Dispose();
        return base.DisposeAsyncCore();
    }
}
