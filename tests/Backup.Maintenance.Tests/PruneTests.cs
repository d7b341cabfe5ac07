using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Verification;
using static Backup.Maintenance.Tests.TestRepository;
using Backup.Core;
using Backup.Core.Repository.Locks;

namespace Backup.Maintenance.Tests;

public class PruneTests
{
    // Which chunks share a pack depends on the repository's random chunker key; a threshold of 0 rewrites every
    // partly used pack, so what is freed (and which calls prune makes) does not depend on that layout.
    private static readonly PruneOptions RemoveAllUnused = new() { RepackThreshold = 0 };

    private static async Task<long> PackBytesAsync(InMemoryTarget target)
    {
        long total = 0;
        await foreach (var info in target.ListAsync(RepositoryLayout.DataPrefix))
        {
            total += info.Length;
        }

        return total;
    }

    private static async Task<CheckResult> CheckAsync(IBackupTarget target)
    {
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        return await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true });
    }

    [Fact]
    public async Task Prune_after_forgetting_a_snapshot_frees_space_and_the_rest_restores_exactly()
    {
        var (target, first, _, _, second) = await CreateTwoSnapshotsAsync();
        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        await repository.Snapshots.DeleteAsync(first.Id);
        var before = await PackBytesAsync(target);

        var result = await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);

        result.BlobsRemoved.Should().BeGreaterThan(0);
        result.BytesAfter.Should().BeLessThan(result.BytesBefore);
        (await PackBytesAsync(target)).Should().Be(result.BytesAfter).And.BeLessThan(before - 1_500_000, "b.bin and c.bin (1.8 MB of random data) are gone");
        (await KeysAsync(target, RepositoryLayout.IndexPrefix)).Should().HaveCount(1);
        (await CheckAsync(target)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["second"] = second });

        // The open repository's index was reloaded: a backup through it stores what prune removed again.
        var again = await BackupAsync(repository, new() { ["b.bin"] = TestRepository.Random(2, 1_500_000) }, "third");
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["second"] = second, ["third"] = new() { ["b.bin"] = TestRepository.Random(2, 1_500_000) } });
        again.Statistics.BlobsAdded.Should().BeGreaterThan(0);

        var second_run = await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
        second_run.PacksRemoved.Should().Be(0);
        second_run.PacksRewritten.Should().Be(0);
    }

    [Fact]
    public async Task Prune_holds_one_view_of_the_index_and_leaves_the_repository_index_as_it_found_it()
    {
        var (target, first, _, _, second) = await CreateTwoSnapshotsAsync();
        await using (var loaded = await BackupRepository.OpenAsync(target, Credentials))
        {
            var blobs = loaded.Blobs.Index.Count;
            await loaded.Snapshots.DeleteAsync(first.Id);

            var result = await new MaintenanceService(loaded).PruneAsync(RemoveAllUnused);

            // The catalog of every listed copy and the mark bitmap, and not the repository's index beside them.
            ((double)result.MemoryBytes / blobs).Should().BeLessThan(64 * 1024, "a test repository is far smaller than one 64K-entry segment");
            result.MemoryBytes.Should().BeLessThan(2 * loaded.Blobs.Index.MemoryBytes);
            loaded.Blobs.Index.Count.Should().Be((int)result.BlobsKept, "an index that was loaded is loaded again after prune");
        }

        await using var unloaded = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        await new MaintenanceService(unloaded).PruneAsync(RemoveAllUnused);
        unloaded.Blobs.Index.Count.Should().Be(0, "prune does not load an index nobody asked for");

        // The next operation loads it under its lock: the backup deduplicates against what is stored.
        var again = await BackupAsync(unloaded, second, "again");
        again.Statistics.BytesAdded.Should().BeLessThan(100_000, "every chunk (5 MB of random data) is found in the index the backup loaded; at most tree metadata is new");
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["second"] = second, ["again"] = second });
    }

    [Fact]
    public async Task A_dry_run_reports_but_changes_nothing()
    {
        var (target, first, _, _, _) = await CreateTwoSnapshotsAsync();
        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        await repository.Snapshots.DeleteAsync(first.Id);
        var keys = await KeysAsync(target);

        var result = await new MaintenanceService(repository).PruneAsync(RemoveAllUnused with { DryRun = true });

        result.DryRun.Should().BeTrue();
        result.BlobsRemoved.Should().BeGreaterThan(0);
        result.BytesAfter.Should().BeLessThan(result.BytesBefore);
        (await KeysAsync(target)).Should().Equal(keys);
    }

    [Fact]
    public async Task Prune_refuses_while_a_backup_holds_its_shared_lock()
    {
        var (target, _, _, _, _) = await CreateTwoSnapshotsAsync();
        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        await using (await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup"))
        {
            await FluentActions.Awaiting(() => new MaintenanceService(repository).PruneAsync(RemoveAllUnused))
                .Should().ThrowAsync<RepositoryLockedException>();
        }

        (await KeysAsync(target, RepositoryLayout.LocksPrefix)).Should().BeEmpty("the refused prune removed its own lock");
        await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
    }

    [Fact]
    public async Task Prune_killed_at_any_put_or_delete_leaves_every_snapshot_restorable_and_a_second_prune_completes()
    {
        var (baseline, first, _, _, second) = await CreateTwoSnapshotsAsync();
        await using (var repository = await BackupRepository.OpenAsync(baseline, Credentials))
        {
            await repository.Snapshots.DeleteAsync(first.Id);
        }

        // Count the calls a full prune makes, then kill one prune at each of them.
        var probe = new FaultInjectingTarget(await CloneAsync(baseline));
        await using (var repository = await BackupRepository.OpenAsync(probe, Credentials))
        {
            await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
        }

        var puts = probe.CountOf(TargetOperation.Put);
        var deletes = probe.CountOf(TargetOperation.Delete);
        puts.Should().BeGreaterThan(2, "the lock, at least one rewritten pack and the new index");
        deletes.Should().BeGreaterThan(2, "old indexes, old packs and the lock");

        var expected = new Dictionary<string, Dictionary<string, byte[]>> { ["second"] = second };
        var kills = Enumerable.Range(1, puts - 1).Select(n => (Kind: "put", N: n)).Concat(Enumerable.Range(1, deletes - 1).Select(n => (Kind: "delete", N: n)));
        foreach (var (kind, n) in kills)
        {
            var target = await CloneAsync(baseline);
            var faulty = new FaultInjectingTarget(target);
            if (kind == "put")
            {
                faulty.DieAfterPuts(n);
            }
            else
            {
                faulty.FailCall(TargetOperation.Delete, n, transient: false);
            }

            await using (var repository = await BackupRepository.OpenAsync(faulty, Credentials))
            {
                await FluentActions.Awaiting(() => new MaintenanceService(repository).PruneAsync(RemoveAllUnused)).Should().ThrowAsync<BackupTargetException>($"killed at {kind} #{n}");
            }

            foreach (var lockKey in await KeysAsync(target, RepositoryLayout.LocksPrefix))
            {
                await target.DeleteAsync(lockKey); // the killed process's lock, as if it had expired
            }

            await AssertRestoresAsync(target, expected);
            await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
            {
                // The killed prune's new packs are unindexed: a prune within the grace period keeps them, a later one removes them.
                await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
                await new MaintenanceService(repository).PruneAsync(RemoveAllUnused with { UnindexedGracePeriod = TimeSpan.Zero });
            }

            (await CheckAsync(target)).Problems.Should().BeEmpty($"after a prune killed at {kind} #{n} and a second prune");
            await AssertRestoresAsync(target, expected);
        }
    }

    [Fact]
    public async Task Prune_removes_the_torn_pack_of_a_dead_writer()
    {
        var (target, _, _, first, second) = await CreateTwoSnapshotsAsync();
        var faulty = new FaultInjectingTarget(target).TearPut(2, 0.5);
        await using (var repository = await BackupRepository.OpenAsync(faulty, Credentials))
        {
            await FluentActions.Awaiting(() => BackupAsync(repository, new() { ["new.bin"] = TestRepository.Random(9, 5_000_000) }, "third")).Should().ThrowAsync<Exception>("a writer that dies fails the backup (as a target error, or as cancellation when the failure races a queued blob)");
        }

        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            // The dead writer's lock lapsed, but it might still be uploading: kept within the grace period.
            var early = await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
            early.PacksRemoved.Should().Be(0);
            early.UnindexedPacksKept.Should().BeGreaterThanOrEqualTo(1);
            var result = await new MaintenanceService(repository).PruneAsync(RemoveAllUnused with { UnindexedGracePeriod = TimeSpan.Zero });
            result.PacksRemoved.Should().Be(1);
        }

        (await CheckAsync(target)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["first"] = first, ["second"] = second });
    }

    [Fact]
    public async Task A_threshold_of_one_deletes_unused_packs_but_rewrites_none()
    {
        var (target, first, _, _, second) = await CreateTwoSnapshotsAsync();
        await using var repository = await BackupRepository.OpenAsync(target, Credentials);
        await repository.Snapshots.DeleteAsync(first.Id);

        var result = await new MaintenanceService(repository).PruneAsync(new PruneOptions { RepackThreshold = 1 });

        result.PacksRewritten.Should().Be(0);
        result.PacksWritten.Should().Be(0);
        result.UnusedBytesKept.Should().BeGreaterThan(0, "the packs the two snapshots share hold blobs only the deleted one used");
        (await CheckAsync(target)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["second"] = second });

        var again = await new MaintenanceService(repository).PruneAsync(RemoveAllUnused);
        again.PacksRewritten.Should().BeGreaterThan(0);
        again.UnusedBytesKept.Should().Be(0, "a threshold of 0 rewrites every pack with an unused blob");
        again.BytesFreed.Should().BeGreaterThanOrEqualTo(result.UnusedBytesKept, "what was reported unused is what a rewrite frees (and its pack headers)");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_repack_threshold_outside_zero_to_one_is_refused_when_the_options_are_built(double threshold) =>
        FluentActions.Invoking(() => new PruneOptions { RepackThreshold = threshold }).Should().Throw<ArgumentOutOfRangeException>();
}
