using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Core.Tests;

/// <summary>
/// The limiter's accounting, without asserting any time: it starts empty, takes bytes in slices (one queued slice per
/// request, so concurrent requests interleave), charges reads what they returned, refills only when its clock's timer
/// fires, and an idle spell buys at most its bucket. (System.Threading.RateLimiting counts the earned bytes with its own
/// monotonic clock, so the fake clock decides when the bucket is refilled, not how much.)
/// </summary>
public class BandwidthLimitedTargetTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_limiter_starts_empty_and_queues_a_slice_at_a_time()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(100_000, time);
        limiter.Slice.Should().Be(10_000, "a tenth of a second's worth, under 64 KiB");
        limiter.Capacity.Should().Be(10_000, "the larger of one slice and 50 ms of the rate");
        limiter.AvailableBytes.Should().Be(0, "the bucket starts empty: the first second is limited too");

        var large = limiter.AcquireAsync(25_000, CancellationToken.None).AsTask();
        limiter.WaitingBytes.Should().Be(10_000, "a 25,000-byte request waits for one slice, not for all of it");
        await Task.Delay(100);
        large.IsCompleted.Should().BeFalse("nothing refills the bucket until the clock's timer fires");

        await RefillUntilAsync(time, () => large.IsCompleted);
        await large.WaitAsync(Settle);
    }

    [Fact]
    public async Task An_idle_spell_buys_at_most_the_bucket()
    {
        var time = new FakeTimeProvider();
        using var limiter = new ByteRateLimiter(100_000, time);

        // 300 ms earn 30,000 bytes; the bucket keeps 10,000 of them.
        await Task.Delay(300);
        time.Advance(Tick);
        limiter.AvailableBytes.Should().Be(10_000);
    }

    [Fact]
    public async Task Concurrent_puts_share_the_limit_a_slice_each()
    {
        var time = new FakeTimeProvider();
        var inner = new InMemoryTarget();
        await using var target = new BandwidthLimitedTarget(inner, new BandwidthLimitOptions { UploadBytesPerSecond = 100_000 }, time);
        var puts = Enumerable.Range(0, 4).Select(i => target.PutAsync($"k{i}", new byte[30_000])).ToArray();
        target.Upload!.WaitingBytes.Should().Be(40_000, "each of the four puts waits for its first slice, so they take turns");
        (await inner.StatAsync("k0")).Should().BeNull("a put is sent only after its bytes were granted");

        await RefillUntilAsync(time, () => puts.All(p => p.IsCompleted));
        await Task.WhenAll(puts).WaitAsync(Settle);
        (await inner.StatAsync("k3")).Should().NotBeNull();
    }

    [Fact]
    public async Task A_read_is_charged_the_bytes_it_returned_not_the_buffer_it_was_given()
    {
        var time = new FakeTimeProvider();
        var inner = new InMemoryTarget();
        await inner.PutAsync("small", new byte[3_000]);
        await using var target = new BandwidthLimitedTarget(inner, new BandwidthLimitOptions { DownloadBytesPerSecond = 100_000 }, time);
        target.Upload.Should().BeNull("only the download is limited");

        var read = target.ReadAsync("small", 0, new byte[1 << 20]).AsTask();
        await WaitForAsync(() => target.Download!.WaitingBytes > 0);
        target.Download!.WaitingBytes.Should().Be(3_000, "the read returned 3,000 bytes into a 1 MiB buffer");
        await RefillUntilAsync(time, () => read.IsCompleted);
        (await read.WaitAsync(Settle)).Should().Be(3_000);
    }

    private static async Task RefillUntilAsync(FakeTimeProvider time, Func<bool> done)
    {
        for (var i = 0; i < 3_000 && !done(); i++)
        {
            await Task.Delay(10);
            time.Advance(Tick);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // The read's continuation runs on the thread pool; wait for it by state, never by a time to assert.
        for (var i = 0; i < 3_000 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    [Fact]
    public void Limits_are_validated_and_rates_parsed_with_their_units()
    {
        var act = () => new BandwidthLimitedTarget(new InMemoryTarget(), new BandwidthLimitOptions { UploadBytesPerSecond = 0 });
        act.Should().Throw<ArgumentException>().WithMessage("*UploadBytesPerSecond*");

        BandwidthLimitOptions.ParseRate("512K").Should().Be(512 * 1024);
        BandwidthLimitOptions.ParseRate("10M").Should().Be(10 * 1024 * 1024);
        BandwidthLimitOptions.ParseRate("1.5MiB/s").Should().Be(1_572_864);
        BandwidthLimitOptions.ParseRate("8MB").Should().Be(8_000_000);
        BandwidthLimitOptions.ParseRate("1g").Should().Be(1L << 30);
        BandwidthLimitOptions.ParseRate("100B").Should().Be(100);
        BandwidthLimitOptions.ParseRate("1024").Should().Be(1 << 20, "a bare number is KiB/s, as in restic");
        foreach (var bad in new[] { "", "fast", "10X", "-5M", "1.2.3M", "0", "0.0001B", "2G" })
        {
            var parse = () => BandwidthLimitOptions.ParseRate(bad);
            parse.Should().Throw<FormatException>(bad).Which.Message.Should().Contain($"'{bad}'");
        }
    }

    [Fact]
    public async Task The_resolver_puts_the_limit_inside_the_retry_layer_and_forwards_capabilities()
    {
        var directory = Directory.CreateTempSubdirectory("bandwidth-");
        try
        {
            var target = new TargetResolver([]).Create(
                RepositoryLocation.Parse(directory.FullName),
                _ => null,
                new TargetCreateOptions { Bandwidth = new BandwidthLimitOptions { DownloadBytesPerSecond = 1 << 20 } });
            target.Should().BeOfType<BandwidthLimitedTarget>();
            target.GetCapability<IStagingTarget>().Should().NotBeNull("the local directory's staging is forwarded");
            await ((IAsyncDisposable)target).DisposeAsync();

            var bad = () => new TargetResolver([]).Create(
                RepositoryLocation.Parse(directory.FullName), _ => null, new TargetCreateOptions { Bandwidth = new BandwidthLimitOptions { DownloadBytesPerSecond = -1 } });
            bad.Should().Throw<ArgumentException>().WithMessage("*DownloadBytesPerSecond*");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
