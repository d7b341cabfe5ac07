using Backup.Core.Storage;

namespace Backup.Core.Tests;

public class RequestDeadlineTargetTests
{
    [Fact]
    public async Task Requests_that_share_a_link_are_each_allowed_the_time_to_move_every_byte_on_it()
    {
        // Four reads of 16 KiB at once over a link that moves their 64 KiB in 3 s (21 KiB/s, faster than the slowest
        // link allowed for): each read alone gets 5.3 KiB/s, so it needs 3 s where its own bytes at 16 KiB/s allow 1 s.
        // A restore (2 x cores files at once) or a check --read-data over a slow link is such a case.
        var link = new SharedLinkTarget(requests: 4, duration: TimeSpan.FromSeconds(3));
        await using var target = new RequestDeadlineTarget(link, TimeSpan.FromSeconds(1));

        var reads = Enumerable.Range(0, 4).Select(async _ => await target.ReadAsync("pack", 0, new byte[16 * 1024]));

        (await Task.WhenAll(reads)).Should().AllSatisfy(n => n.Should().Be(16 * 1024));
    }

    [Fact]
    public async Task A_request_on_a_link_that_moves_nothing_still_fails_in_time()
    {
        var link = new SharedLinkTarget(requests: 2, duration: Timeout.InfiniteTimeSpan);
        await using var target = new RequestDeadlineTarget(link, TimeSpan.FromSeconds(1));

        var started = DateTime.UtcNow;
        var reads = Enumerable.Range(0, 2).Select(async _ => await target.ReadAsync("pack", 0, new byte[16 * 1024])).ToList();
        var all = () => Task.WhenAll(reads);

        (await all.Should().ThrowAsync<BackupTargetException>()).Which.IsTransient.Should().BeTrue();
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(10), "the allowance is the timeout plus the bytes of both reads at 16 KiB/s");
    }

    [Fact]
    public async Task A_listing_that_gets_no_next_page_fails_after_the_timeout_and_a_page_of_bytes()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var silent = new SilentListingTarget();
        await using var target = new RequestDeadlineTarget(silent, TimeSpan.FromSeconds(30), time);
        var listing = Task.Run(async () => { await foreach (var _ in target.ListAsync("data/")) { } });
        await silent.Asked.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the deadline is set before the page is asked for

        // A page of 4 MiB at 16 KiB/s: a slow link still gets a whole Azure page through.
        time.Advance(TimeSpan.FromSeconds(285));
        await Task.Delay(200);
        listing.IsCompleted.Should().BeFalse("30 s and a page's 256 s have not passed");
        time.Advance(TimeSpan.FromSeconds(2));
        var wait = () => listing.WaitAsync(TimeSpan.FromSeconds(10));

        (await wait.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("did not finish a listing within 286 s");
    }

    [Fact]
    public async Task A_read_abandoned_at_its_deadline_never_writes_into_the_callers_memory_afterwards()
    {
        // A client library that does not watch its token goes on reading after the deadline: by then the caller has
        // retried into the same buffer, or given it back to a pool for other data.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var late = new LateWritingTarget();
        await using var target = new RequestDeadlineTarget(late, TimeSpan.FromSeconds(30), time);
        var destination = new byte[4096];
        var read = target.ReadAsync("pack", 0, destination).AsTask();
        await late.Asked.Task.WaitAsync(TimeSpan.FromSeconds(10));

        time.Advance(TimeSpan.FromSeconds(60));
        var wait = () => read.WaitAsync(TimeSpan.FromSeconds(10));
        (await wait.Should().ThrowAsync<BackupTargetException>()).Which.IsTransient.Should().BeTrue();
        late.Release.SetResult();
        await late.Written.Task.WaitAsync(TimeSpan.FromSeconds(10));

        destination.Should().OnlyContain(b => b == 0, "the abandoned read wrote into a buffer of its own");
    }

    [Fact]
    public async Task A_read_in_time_fills_the_callers_memory()
    {
        var late = new LateWritingTarget();
        late.Release.SetResult();
        await using var target = new RequestDeadlineTarget(late, TimeSpan.FromSeconds(30));
        var destination = new byte[4096];

        var count = await target.ReadAsync("pack", 0, destination.AsMemory(0, 1000));

        count.Should().Be(1000);
        destination.Take(1000).Should().OnlyContain(b => b == 0xEE);
        destination.Skip(1000).Should().OnlyContain(b => b == 0);
    }

    /// <summary>Reads that ignore their token: each waits for <see cref="Release"/>, then fills its destination.</summary>
    private sealed class LateWritingTarget : IBackupTarget
    {
        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Description => "late server";

        public async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            Asked.TrySetResult();
            await Release.Task;
            destination.Span.Fill(0xEE);
            Written.TrySetResult();
            return destination.Length;
        }

        public IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class SilentListingTarget : IBackupTarget
    {
        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Description => "silent server";

        public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Asked.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }

        public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    /// <summary>Every read waits until <c>requests</c> reads are under way, then the link takes <c>duration</c> to move them all.</summary>
    private sealed class SharedLinkTarget(int requests, TimeSpan duration) : IBackupTarget
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _started;

        public string Description => "shared link";

        public async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _started) == requests)
            {
                _all.SetResult();
            }

            await _all.Task.WaitAsync(cancellationToken);
            await Task.Delay(duration, cancellationToken);
            return destination.Length;
        }

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
