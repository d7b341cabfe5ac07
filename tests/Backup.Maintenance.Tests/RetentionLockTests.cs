using Backup.Core;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Repository.Locks;
using Backup.Core.Retention;
using Backup.Core.Storage;
using Backup.Core.Verification;
using Backup.Providers.Targets.Tests;
using static Backup.Maintenance.Tests.TestRepository;

namespace Backup.Maintenance.Tests;

/// <summary>
/// Forget, prune and repair against storage that refuses some deletes under a retention lock (S3 Object Lock, Azure
/// immutability; simulated, since the local emulators implement neither): the locked objects are skipped and
/// reported with their dates, everything else is done, the repository stays consistent, and once the locks end a
/// later run removes them.
/// </summary>
public class RetentionLockTests
{
    private static readonly RetentionPolicy KeepLastOne = new() { KeepLast = 1, GroupBy = SnapshotGrouping.None };
    private static readonly PruneOptions RemoveAllUnused = new() { RepackThreshold = 0 };

    [Fact]
    public async Task Forget_and_prune_skip_locked_objects_report_their_dates_and_a_later_run_removes_them()
    {
        // After the backups: a snapshot later than "now" counts as future-dated and is always kept.
        var start = DateTimeOffset.UtcNow.AddMinutes(5);
        var time = new ManualTime(start);
        var storage = new InMemoryTarget();
        var target = new ObjectLockSimulatingTarget(storage, TimeSpan.FromDays(1), time);
        var third = new Dictionary<string, byte[]> { ["new.bin"] = TestRepository.Random(9, 300_000) };
        List<string> firstPacks;
        string firstSnapshot;
        await using (var repository = await BackupRepository.InitAsync(target, Credentials, Options))
        {
            var first = await BackupAsync(repository, new() { ["a.bin"] = TestRepository.Random(1, 1_000_000) }, "first");
            firstSnapshot = RepositoryLayout.SnapshotKey(first.Id);
            firstPacks = await KeysAsync(storage, RepositoryLayout.DataPrefix);
            await BackupAsync(repository, new() { ["x.bin"] = TestRepository.Random(2, 1_500_000) }, "second");
            await BackupAsync(repository, third, "third");
        }

        // The first snapshot is locked for 5 days, its packs for 10; nothing else is locked.
        target.Lock(firstSnapshot, start.AddDays(5));
        foreach (var pack in firstPacks)
        {
            target.Lock(pack, start.AddDays(10));
        }

        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            var forgot = await new RetentionService(repository, time).ApplyAsync(KeepLastOne, dryRun: false);
            forgot.Removed.Should().HaveCount(2);
            forgot.Deleted.Should().Be(1, "the second snapshot is not locked");
            forgot.Locked.Should().ContainSingle().Which.Should().Be(new LockedObject { Key = firstSnapshot, RetainUntil = start.AddDays(5) });

            var pruned = await new MaintenanceService(repository, time).PruneAsync(RemoveAllUnused);
            pruned.Locked.Should().BeEmpty("the locked snapshot still uses its packs");
            pruned.PacksRemoved.Should().BeGreaterThan(0, "the second snapshot's data is freed");
        }

        (await CheckAsync(target)).IsSuccess.Should().BeTrue();

        // Day 6: the snapshot's lock ended, its packs' has not.
        time.Now = start.AddDays(6);
        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            var forgot = await new RetentionService(repository, time).ApplyAsync(KeepLastOne, dryRun: false);
            forgot.Deleted.Should().Be(1);
            forgot.Locked.Should().BeEmpty();

            var pruned = await new MaintenanceService(repository, time).PruneAsync(RemoveAllUnused);
            pruned.Locked.Select(l => l.Key).Should().BeEquivalentTo(firstPacks);
            pruned.Locked.Should().OnlyContain(l => l.RetainUntil == start.AddDays(10));
            pruned.PacksRemoved.Should().Be(0);
            (await KeysAsync(storage, RepositoryLayout.IndexPrefix)).Should().HaveCount(1, "the old index objects were replaced although packs were locked");
            pruned.BytesAfter.Should().Be(await PackBytesAsync(storage), "locked packs still count");
        }

        var check = await CheckAsync(target);
        check.IsSuccess.Should().BeTrue("a locked pack stays as an unindexed pack its header describes");
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["third"] = third });

        // Day 11: every lock ended; the next prune deletes what was left.
        time.Now = start.AddDays(11);
        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            var pruned = await new MaintenanceService(repository, time).PruneAsync(RemoveAllUnused);
            pruned.Locked.Should().BeEmpty();
            pruned.PacksRemoved.Should().Be(firstPacks.Count);
        }

        (await KeysAsync(storage, RepositoryLayout.DataPrefix)).Should().NotIntersectWith(firstPacks);
        (await CheckAsync(target)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["third"] = third });
    }

    [Fact]
    public async Task A_pack_prune_deleted_is_not_missing_because_a_superseded_index_its_lock_kept_still_lists_it()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow.AddMinutes(5));
        var storage = new InMemoryTarget();
        var target = new ObjectLockSimulatingTarget(storage, TimeSpan.FromDays(1), time);
        await using (var repository = await BackupRepository.InitAsync(target, Credentials, Options))
        {
            await BackupAsync(repository, new() { ["a.bin"] = TestRepository.Random(1, 600_000) }, "first");
            await BackupAsync(repository, new() { ["b.bin"] = TestRepository.Random(2, 600_000) }, "second");
        }

        // The index objects are locked (as the retention extension locks them) and the first snapshot's packs are not.
        var oldIndex = await KeysAsync(storage, RepositoryLayout.IndexPrefix);
        foreach (var key in oldIndex)
        {
            target.Lock(key, time.Now.AddDays(5));
        }

        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            (await new RetentionService(repository, time).ApplyAsync(KeepLastOne, dryRun: false)).Deleted.Should().Be(1);
            var pruned = await new MaintenanceService(repository, time).PruneAsync(RemoveAllUnused);
            pruned.PacksRemoved.Should().BeGreaterThan(0);
            pruned.Locked.Select(l => l.Key).Should().BeEquivalentTo(oldIndex, "the new index supersedes them, but their lock keeps them");
        }

        var check = await CheckAsync(target);
        check.Problems.Should().BeEmpty("a superseded index is ignored by readers, so the packs only it lists are not missing");
    }

    [Fact]
    public async Task Forget_by_id_skips_a_locked_snapshot_reports_its_date_and_removes_the_others()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow.AddMinutes(5));
        var storage = new InMemoryTarget();
        var target = new ObjectLockSimulatingTarget(storage, TimeSpan.FromDays(1), time);
        await using var repository = await BackupRepository.InitAsync(target, Credentials, Options);
        var first = await BackupAsync(repository, new() { ["a.bin"] = TestRepository.Random(1, 300_000) }, "first");
        var second = await BackupAsync(repository, new() { ["b.bin"] = TestRepository.Random(2, 300_000) }, "second");
        var firstKey = RepositoryLayout.SnapshotKey(first.Id);
        target.Lock(firstKey, time.Now.AddDays(5));

        var forgot = await new RetentionService(repository, time).ForgetAsync([first.Id, second.Id], dryRun: false);

        forgot.Deleted.Should().Be(1);
        forgot.Locked.Should().ContainSingle().Which.Should().Be(new LockedObject { Key = firstKey, RetainUntil = time.Now.AddDays(5) });
        (await KeysAsync(storage, RepositoryLayout.SnapshotsPrefix)).Should().Equal(firstKey);
    }

    [Fact]
    public async Task Forget_by_id_through_an_append_only_target_fails_on_the_delete_as_a_policy_does()
    {
        var storage = new InMemoryTarget();
        BlobId id;
        await using (var init = await BackupRepository.InitAsync(storage, Credentials, Options))
        {
            id = (await BackupAsync(init, new() { ["a.bin"] = TestRepository.Random(1, 300_000) }, "first")).Id;
        }

        await using var repository = await BackupRepository.OpenAsync(new AppendOnlyTarget(storage), Credentials);
        await FluentActions.Awaiting(() => new RetentionService(repository).ForgetAsync([id], dryRun: false)).Should().ThrowAsync<AppendOnlyViolationException>();
        (await KeysAsync(storage, RepositoryLayout.SnapshotsPrefix)).Should().ContainSingle();
    }

    [Fact]
    public async Task Repair_snapshots_keeps_a_locked_snapshot_and_does_not_store_its_replacement_twice()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow);
        var storage = new InMemoryTarget();
        var target = new ObjectLockSimulatingTarget(storage, TimeSpan.FromDays(1), time);
        string snapshotKey;
        await using (var repository = await BackupRepository.InitAsync(target, Credentials, Options))
        {
            var snapshot = await BackupAsync(repository, new() { ["a.bin"] = TestRepository.Random(1, 300_000), ["b.bin"] = TestRepository.Random(2, 300_000) }, "first");
            snapshotKey = RepositoryLayout.SnapshotKey(snapshot.Id);
        }

        // Lose every pack, so the snapshot references missing data; then rebuild the index from what is left.
        foreach (var pack in await KeysAsync(storage, RepositoryLayout.DataPrefix))
        {
            await storage.DeleteAsync(pack);
        }

        target.Lock(snapshotKey, time.Now.AddDays(3));
        await using (var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials))
        {
            var service = new MaintenanceService(repository, time);
            await service.RepairIndexAsync();
            var repaired = await service.RepairSnapshotsAsync(dryRun: false);
            repaired.SnapshotsRewritten.Should().Be(1);
            repaired.Locked.Should().ContainSingle().Which.Key.Should().Be(snapshotKey);
            var again = await service.RepairSnapshotsAsync(dryRun: false);
            again.Locked.Should().ContainSingle().Which.Key.Should().Be(snapshotKey);
        }

        (await KeysAsync(storage, RepositoryLayout.SnapshotsPrefix)).Should().HaveCount(2, "the locked original and one replacement, not one more per run");

        time.Now = time.Now.AddDays(4);
        await using (var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials))
        {
            var repaired = await new MaintenanceService(repository, time).RepairSnapshotsAsync(dryRun: false);
            repaired.Locked.Should().BeEmpty();
        }

        (await KeysAsync(storage, RepositoryLayout.SnapshotsPrefix)).Should().ContainSingle().Which.Should().NotBe(snapshotKey);
    }

    [Fact]
    public async Task Append_only_mode_backs_up_and_releases_its_locks_but_refuses_deletes_and_overwrites()
    {
        var storage = new InMemoryTarget();
        await using (var init = await BackupRepository.InitAsync(storage, Credentials, Options))
        {
            await BackupAsync(init, new() { ["a.bin"] = TestRepository.Random(1, 300_000) }, "first");
        }

        var appendOnly = new AppendOnlyTarget(storage);
        await using var repository = await BackupRepository.OpenAsync(appendOnly, Credentials);
        var second = await BackupAsync(repository, new() { ["b.bin"] = TestRepository.Random(2, 300_000) }, "second");
        (await KeysAsync(storage, RepositoryLayout.LocksPrefix)).Should().BeEmpty("the backup deleted its own lock");

        var snapshotKey = RepositoryLayout.SnapshotKey(second.Id);
        var delete = await FluentActions.Awaiting(() => appendOnly.DeleteAsync(snapshotKey)).Should().ThrowAsync<AppendOnlyViolationException>();
        delete.Which.Key.Should().Be(snapshotKey);
        delete.Which.IsTransient.Should().BeFalse();
        await FluentActions.Awaiting(() => appendOnly.PutAsync(snapshotKey, new byte[] { 1 })).Should().ThrowAsync<AppendOnlyViolationException>();
        await FluentActions.Awaiting(() => appendOnly.PutAsync("config", new byte[] { 1 })).Should().ThrowAsync<AppendOnlyViolationException>();

        // Another process's lock is not this process's to remove.
        await storage.PutAsync("locks/other", new byte[] { 1 });
        await FluentActions.Awaiting(() => appendOnly.DeleteAsync("locks/other")).Should().ThrowAsync<AppendOnlyViolationException>();

        // Forget and prune through it fail on the first delete, and leave the repository consistent.
        await FluentActions.Awaiting(() => new RetentionService(repository).ApplyAsync(KeepLastOne with { GroupBy = SnapshotGrouping.None }, dryRun: false))
            .Should().ThrowAsync<AppendOnlyViolationException>();
        await storage.DeleteAsync("locks/other");
        (await KeysAsync(storage, RepositoryLayout.SnapshotsPrefix)).Should().HaveCount(2);
        (await CheckAsync(storage)).IsSuccess.Should().BeTrue();
    }

    private static async Task<CheckResult> CheckAsync(IBackupTarget target)
    {
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        return await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
    }

    private static async Task<long> PackBytesAsync(IBackupTarget target)
    {
        long total = 0;
        await foreach (var info in target.ListAsync(RepositoryLayout.DataPrefix))
        {
            total += info.Length;
        }

        return total;
    }
}
