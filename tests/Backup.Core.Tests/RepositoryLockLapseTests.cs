using Backup.Core.Maintenance;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Verification;
using Microsoft.Extensions.Time.Testing;
using Backup.Core.Repository.Locks;

namespace Backup.Core.Tests;

/// <summary>
/// The lock knows when it may have lapsed (monotonic clock, wall clock, failed refreshes, its object gone), and a
/// writer whose lock may have lapsed re-checks what it references before storing an index or a snapshot.
/// </summary>
public class RepositoryLockLapseTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan RefreshInterval = RepositoryLock.DefaultTimeToLive / 3;

    [Fact]
    public async Task A_lock_refreshed_on_time_never_counts_as_lapsed()
    {
        var time = new SuspendableTime(Start);
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(time), TestRepository.NewKeyFile());
        await using var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup", time);
        for (var tick = 1; tick <= 6; tick++)
        {
            held.MayHaveLapsed().Should().BeNull();
            time.Advance(RefreshInterval);
            await WaitForRefreshAsync(repository, held, time.GetUtcNow());
        }

        held.MayHaveLapsed().Should().BeNull("every refresh came a third of the lifetime after the one before");
    }

    [Fact]
    public async Task A_process_stopped_past_the_lifetime_finds_its_lock_lapsed_for_good()
    {
        var time = new SuspendableTime(Start);
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(time), TestRepository.NewKeyFile());
        await using var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup", time);

        // Stopped: nothing ran for 16 minutes, then the refresher's timer fires once.
        time.Advance(TimeSpan.FromMinutes(16));
        held.MayHaveLapsed().Should().Contain("last written 960 s ago");
        await WaitForRefreshAsync(repository, held, time.GetUtcNow());

        // The refresh came too late: a prune may have run in the gap, whatever the lock looks like now.
        held.MayHaveLapsed().Should().NotBeNull();
        time.Advance(RefreshInterval);
        await WaitForRefreshAsync(repository, held, time.GetUtcNow());
        held.MayHaveLapsed().Should().NotBeNull("a lapse is for good");
    }

    [Fact]
    public async Task A_suspended_machine_whose_monotonic_clock_stood_still_is_caught_by_the_wall_clock()
    {
        var time = new SuspendableTime(Start);
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(time), TestRepository.NewKeyFile());
        await using var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup", time);

        time.Suspend(TimeSpan.FromMinutes(30));
        held.MayHaveLapsed().Should().Contain("the clock reads");
        await WaitForRefreshAsync(repository, held, time.GetUtcNow());
        held.MayHaveLapsed().Should().NotBeNull("the refresh after the suspension came after the lock's expiry");
    }

    [Fact]
    public async Task A_failed_refresh_marks_the_lock_lapsed()
    {
        var time = new SuspendableTime(Start);
        var inner = new InMemoryTarget(time);
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(inner, credentials)).DisposeAsync();
        var faulty = new FaultInjectingTarget(inner).FailCall(TargetOperation.Put, 2); // the lock's 1st put succeeds, its first refresh fails
        await using var through = await BackupRepository.OpenAsync(faulty, credentials);
        await using var held = await RepositoryLock.AcquireAsync(through.Locks, exclusive: false, "backup", time);

        time.Advance(RefreshInterval);
        await WaitUntilAsync(() => held.MayHaveLapsed() is not null);
        held.MayHaveLapsed().Should().Contain("refreshing it failed");
    }

    [Fact]
    public async Task A_lock_whose_object_was_removed_is_lapsed_at_the_next_refresh_and_put_back()
    {
        var time = new SuspendableTime(Start);
        var target = new InMemoryTarget(time);
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        await using var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup", time);

        await target.DeleteAsync(held.Key);
        time.Advance(RefreshInterval);
        await WaitForRefreshAsync(repository, held, time.GetUtcNow());
        held.MayHaveLapsed().Should().Contain("removed");
    }

    [Fact]
    public async Task A_backup_whose_lock_lapsed_while_a_prune_deleted_what_it_deduplicated_against_fails_without_a_snapshot()
    {
        var time = new SuspendableTime(Start);
        var target = new InMemoryTarget(time);
        var credentials = TestRepository.NewKeyFile();
        var first = TestRepository.RandomBytes(2 * 1024 * 1024, seed: 71);
        var second = TestRepository.RandomBytes(1024 * 1024, seed: 72);
        await using var repository = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions("none"));
        var a = await new BackupService(repository, time).BackupAsync(StreamSource.FromStream("a", new MemoryStream(first)));

        // B reads A's data again (deduplicated against A's packs), then stops past its lock's lifetime.
        var paused = new PausingStream([.. first, .. second], pauseAt: first.Length);
        var backup = Task.Run(() => new BackupService(repository, time).BackupAsync(StreamSource.FromStream("b", paused)));
        await paused.Reached.WaitAsync(TimeSpan.FromSeconds(30));

        // Meanwhile another process, whose clock is 20 minutes on, finds B's lock expired, forgets A and prunes: A's
        // packs are deleted. (B's own clock stands still until it resumes, so its refresher does not run before.)
        await using (var other = await BackupRepository.OpenAsync(target, credentials))
        {
            var later = new FakeTimeProvider(Start + TimeSpan.FromMinutes(20));
            await other.Snapshots.DeleteAsync(a.Snapshot.Id);
            (await new MaintenanceService(other, later).PruneAsync(new PruneOptions { RepackThreshold = 0 })).BlobsRemoved.Should().BeGreaterThan(0);
        }

        time.Suspend(TimeSpan.FromMinutes(20));
        paused.Resume();
        var act = () => backup;
        (await act.Should().ThrowAsync<RepositoryLockLapsedException>()).Which.Message.Should().Contain("were deleted meanwhile");
        (await TestRepository.ListAsync(target, RepositoryLayout.SnapshotsPrefix)).Should().BeEmpty("no snapshot references the deleted packs");

        await using var checker = await BackupRepository.OpenWithoutIndexAsync(target, credentials);
        var check = await new VerificationService(checker, time).CheckAsync(new CheckOptions());
        check.Problems.Where(p => p.Severity == ProblemSeverity.Error).Should().BeEmpty();
    }

    [Fact]
    public async Task A_backup_whose_lock_lapsed_but_whose_data_is_intact_saves_its_snapshot()
    {
        var time = new SuspendableTime(Start);
        var target = new InMemoryTarget(time);
        var credentials = TestRepository.NewKeyFile();
        var first = TestRepository.RandomBytes(2 * 1024 * 1024, seed: 73);
        await using var repository = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions("none"));
        await new BackupService(repository, time).BackupAsync(StreamSource.FromStream("a", new MemoryStream(first)));

        var paused = new PausingStream([.. first, .. TestRepository.RandomBytes(512 * 1024, seed: 74)], pauseAt: first.Length);
        var backup = Task.Run(() => new BackupService(repository, time).BackupAsync(StreamSource.FromStream("b", paused)));
        await paused.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        time.Suspend(TimeSpan.FromMinutes(20));
        paused.Resume();

        var result = await backup;
        (await TestRepository.RestoreAsync(repository, result.Snapshot)).Length.Should().Be(first.Length + (512 * 1024));
    }

    [Fact]
    public async Task A_copy_whose_destination_lock_lapsed_while_a_prune_deleted_what_it_deduplicated_against_fails_without_a_snapshot()
    {
        var time = new SuspendableTime(Start);
        var data = TestRepository.RandomBytes(1024 * 1024, seed: 75);
        var sourceCredentials = TestRepository.NewKeyFile();
        var destinationCredentials = TestRepository.NewKeyFile();
        var sourceInner = new InMemoryTarget();
        var destinationTarget = new InMemoryTarget(time);
        await (await TestRepository.InitAsync(sourceInner, sourceCredentials, TestRepository.SmallOptions("none"))).DisposeAsync();
        await using var destination = await TestRepository.InitAsync(destinationTarget, destinationCredentials, TestRepository.SmallOptions("none"));
        Snapshots.Snapshot x;
        await using (var source = await BackupRepository.OpenAsync(sourceInner, sourceCredentials))
        {
            await TestRepository.BackupBytesAsync(source, "d.bin", data);
            x = (await new Replication.RepositoryCopier(source, destination, time).CopyAsync()).Copied.Single();
        }

        // X (the first copy) is forgotten, so the snapshot is copied again, deduplicating against X's packs; its
        // first read of source data waits.
        await destination.Snapshots.DeleteAsync(x.Id);
        var gated = new GatedReadTarget(sourceInner);
        await using var gatedSource = await BackupRepository.OpenAsync(gated, sourceCredentials);
        var copy = Task.Run(() => new Replication.RepositoryCopier(gatedSource, destination, time).CopyAsync());
        await gated.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await using (var other = await BackupRepository.OpenAsync(destinationTarget, destinationCredentials))
        {
            (await new MaintenanceService(other, new FakeTimeProvider(Start + TimeSpan.FromMinutes(20))).PruneAsync(new PruneOptions { RepackThreshold = 0 })).BlobsRemoved.Should().BeGreaterThan(0);
        }

        time.Suspend(TimeSpan.FromMinutes(20));
        gated.Release();
        var act = () => copy;
        await act.Should().ThrowAsync<RepositoryLockLapsedException>();
        (await TestRepository.ListAsync(destinationTarget, RepositoryLayout.SnapshotsPrefix)).Should().BeEmpty();
    }

    private static async Task WaitForRefreshAsync(BackupRepository repository, RepositoryLock held, DateTimeOffset at)
    {
        await WaitUntilAsync(async () =>
        {
            await foreach (var (key, value) in RepositoryLock.ReadLocksAsync(repository.Locks))
            {
                if (key == held.Key && value.Refreshed >= at)
                {
                    return true;
                }
            }

            return false;
        });
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>A fake clock whose monotonic timestamps can stand still while the wall clock moves on, as across a suspend.</summary>
    private sealed class SuspendableTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private long _suspended;

        public override long GetTimestamp() => base.GetTimestamp() - Interlocked.Read(ref _suspended);

        public void Suspend(TimeSpan duration)
        {
            Interlocked.Add(ref _suspended, (long)(duration.TotalSeconds * TimestampFrequency));
            Advance(duration);
        }
    }

    /// <summary>Holds the first read of pack data (the first blob read) until released.</summary>
    private sealed class GatedReadTarget(IBackupTarget inner) : DelegatingTarget(inner)
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Release() => _release.TrySetResult();

        public override async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
        {
            if (key.StartsWith(RepositoryLayout.DataPrefix, StringComparison.Ordinal))
            {
                _reached.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            return await base.ReadAsync(key, offset, destination, cancellationToken);
        }
    }

    /// <summary>A stream that stops returning data at <c>pauseAt</c> until resumed.</summary>
    private sealed class PausingStream(byte[] data, int pauseAt) : Stream
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _position;

        public Task Reached => _reached.Task;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public void Resume() => _resume.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position == pauseAt)
            {
                _reached.TrySetResult();
                await _resume.Task.WaitAsync(cancellationToken);
            }

            var end = _position < pauseAt ? pauseAt : data.Length;
            var count = Math.Min(buffer.Length, end - _position);
            data.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
