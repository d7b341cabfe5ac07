using System.Globalization;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Retention;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Repository.Locks;

namespace Backup.Retention.Tests;

public class RetentionServiceTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-24T12:00Z", CultureInfo.InvariantCulture);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static async Task<(InMemoryTarget Target, BackupRepository Repository, List<Snapshot> Saved)> RepositoryWithHistoryAsync()
    {
        var target = new InMemoryTarget();
        var repository = await BackupRepository.InitAsync(target, RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        var tree = BlobId.Sha256([1, 2, 3]);
        var saved = new List<Snapshot>();
        string[] times =
        [
            "2026-11-24T10:00Z", "2026-11-24T02:00Z", "2026-11-23T10:00Z", "2026-11-20T10:00Z",
            "2026-11-10T10:00Z", "2026-10-01T10:00Z", "2026-09-01T10:00Z", "2030-01-01T00:00Z",
        ];
        foreach (var time in times)
        {
            saved.Add(await repository.Snapshots.SaveAsync(new Snapshot
            {
                Time = DateTimeOffset.Parse(time, CultureInfo.InvariantCulture),
                Hostname = "web1",
                SourceKind = "files",
                Paths = ["/srv"],
                Tree = tree,
                Pinned = time == "2026-09-01T10:00Z",
            }));
        }

        saved.Add(await repository.Snapshots.SaveAsync(new Snapshot
        {
            Time = DateTimeOffset.Parse("2026-01-01T00:00Z", CultureInfo.InvariantCulture),
            Hostname = "db1",
            SourceKind = "postgresql",
            Paths = ["main"],
            Tree = tree,
        }));
        return (target, repository, saved);
    }

    private static async Task<HashSet<BlobId>> ListIdsAsync(BackupRepository repository)
    {
        var ids = new HashSet<BlobId>();
        await foreach (var snapshot in repository.Snapshots.ListAsync())
        {
            ids.Add(snapshot.Id);
        }

        return ids;
    }

    [Fact]
    public async Task A_dry_run_decides_but_deletes_nothing()
    {
        var (_, repository, saved) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var result = await new RetentionService(repository, new FixedTime(Now)).ApplyAsync(new RetentionPolicy { KeepDaily = 2 }, dryRun: true, CancellationToken.None);

        result.DryRun.Should().BeTrue();
        result.Deleted.Should().Be(0);
        result.EvaluatedAt.Should().Be(Now);
        result.Removed.Select(s => s.Time.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture)).Should().BeEquivalentTo(
            ["2026-11-24 02", "2026-11-20 10", "2026-11-10 10", "2026-10-01 10"]);
        (await ListIdsAsync(repository)).Should().BeEquivalentTo(saved.Select(s => s.Id));
    }

    [Fact]
    public async Task A_real_run_deletes_exactly_the_removed_snapshots()
    {
        var (target, repository, saved) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var result = await new RetentionService(repository, new FixedTime(Now)).ApplyAsync(new RetentionPolicy { KeepDaily = 2 }, dryRun: false, CancellationToken.None);

        var removed = result.Removed.Select(s => s.Id).ToHashSet();
        removed.Should().HaveCount(4);
        result.Deleted.Should().Be(4);
        (await ListIdsAsync(repository)).Should().BeEquivalentTo(saved.Select(s => s.Id).Where(id => !removed.Contains(id)));
        result.Kept.Select(s => s.Id).Should().BeEquivalentTo(saved.Select(s => s.Id).Where(id => !removed.Contains(id)));

        // Reasons survive to the result: future-dated, pinned and the other host's own group.
        var decisions = result.Groups.SelectMany(g => g.Decisions).ToDictionary(d => d.Snapshot.Time.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture) + " " + d.Snapshot.Hostname, d => string.Join("; ", d.Reasons));
        decisions["2030-01-01 00 web1"].Should().Be("future-dated");
        decisions["2026-09-01 10 web1"].Should().Be("pinned");
        decisions["2026-01-01 00 db1"].Should().Be("daily 1 (2026-01-01)");
        result.Groups.Should().HaveCount(2);

        // The shared lock is released.
        (await CountLocksAsync(repository)).Should().Be(0);

        // Running again removes nothing more: the decision is stable.
        var again = await new RetentionService(repository, new FixedTime(Now)).ApplyAsync(new RetentionPolicy { KeepDaily = 2 }, dryRun: false, CancellationToken.None);
        again.Deleted.Should().Be(0);
    }

    [Fact]
    public async Task A_filter_limits_the_policy_to_the_selected_snapshots_and_never_deletes_the_others()
    {
        var (_, repository, saved) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var service = new RetentionService(repository, new FixedTime(Now)) { Filter = s => s.Hostname == "web1" };

        // One group for everything: without the filter, KeepLast 1 would remove db1's (older) snapshot too.
        var result = await service.ApplyAsync(new RetentionPolicy { KeepLast = 1, GroupBy = SnapshotGrouping.None }, dryRun: false, CancellationToken.None);

        result.Groups.SelectMany(g => g.Decisions).Should().OnlyContain(d => d.Snapshot.Hostname == "web1");
        result.Deleted.Should().BeGreaterThan(0);
        var remaining = await ListIdsAsync(repository);
        remaining.Should().Contain(saved.Where(s => s.Hostname != "web1").Select(s => s.Id));
        remaining.Should().HaveCount(saved.Count(s => s.Hostname != "web1") + result.Kept.Count());
    }

    [Fact]
    public async Task Forget_runs_alongside_a_backup_but_not_alongside_exclusive_maintenance()
    {
        var (target, repository, _) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var service = new RetentionService(repository, new FixedTime(Now));

        await using (await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup"))
        {
            (await service.ApplyAsync(new RetentionPolicy { KeepLast = 5 }, dryRun: false, CancellationToken.None)).Deleted.Should().Be(1);
        }

        await using (await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune"))
        {
            // A dry run only reads and takes no lock.
            (await service.ApplyAsync(new RetentionPolicy { KeepLast = 1 }, dryRun: true, CancellationToken.None)).Removed.Should().NotBeEmpty();
            var act = () => service.ApplyAsync(new RetentionPolicy { KeepLast = 1 }, dryRun: false, CancellationToken.None);
            await act.Should().ThrowAsync<RepositoryLockedException>();
        }
    }

    [Fact]
    public async Task Forgetting_by_id_removes_exactly_the_named_snapshots_even_a_future_dated_one()
    {
        var (_, repository, saved) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var service = new RetentionService(repository, new FixedTime(Now));
        var futureDated = saved.Single(s => s.Time.Year == 2030);
        BlobId[] named = [saved[1].Id, futureDated.Id, saved[1].Id, saved[^1].Id];

        var dryRun = await service.ForgetAsync(named, dryRun: true, CancellationToken.None);
        var real = await service.ForgetAsync(named, dryRun: false, CancellationToken.None);

        dryRun.Deleted.Should().Be(0);
        dryRun.Removed.Select(s => s.Id).Should().BeEquivalentTo([saved[1].Id, futureDated.Id, saved[^1].Id], "a snapshot named twice is removed once");
        real.Deleted.Should().Be(3);
        real.Kept.Should().BeEmpty();
        real.Groups.Select(g => g.Key.Hostname).Should().Equal("db1", "web1");
        (await ListIdsAsync(repository)).Should().BeEquivalentTo(saved.Select(s => s.Id).Except(named));
    }

    [Fact]
    public async Task Forgetting_by_id_deletes_nothing_when_one_id_is_unknown_pinned_or_left_out_by_the_filter()
    {
        var (_, repository, saved) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var pinned = saved.Single(s => s.Pinned);
        var unknown = BlobId.Sha256([9, 9, 9]);

        var unknownAct = () => new RetentionService(repository).ForgetAsync([saved[0].Id, unknown], dryRun: false, CancellationToken.None);
        var pinnedAct = () => new RetentionService(repository).ForgetAsync([saved[0].Id, pinned.Id], dryRun: false, CancellationToken.None);
        var filteredAct = () => new RetentionService(repository) { Filter = s => s.Hostname == "web1" }.ForgetAsync([saved[0].Id, saved[^1].Id], dryRun: false, CancellationToken.None);

        (await unknownAct.Should().ThrowAsync<SnapshotNotFoundException>()).Which.IdOrPrefix.Should().Be(unknown.ToString());
        (await pinnedAct.Should().ThrowAsync<SnapshotPinnedException>()).Which.SnapshotIds.Should().Equal(pinned.Id);
        (await filteredAct.Should().ThrowAsync<SnapshotNotFoundException>()).Which.Message.Should().Contain("filter");
        (await ListIdsAsync(repository)).Should().HaveCount(saved.Count, "every ID is checked before the first delete");
    }

    [Fact]
    public async Task Forgetting_by_id_takes_the_shared_lock_as_a_policy_does()
    {
        var (_, repository, saved) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var service = new RetentionService(repository, new FixedTime(Now));

        await using (await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune"))
        {
            (await service.ForgetAsync([saved[0].Id], dryRun: true, CancellationToken.None)).Removed.Should().ContainSingle("a dry run only reads and takes no lock");
            var act = () => service.ForgetAsync([saved[0].Id], dryRun: false, CancellationToken.None);
            await act.Should().ThrowAsync<RepositoryLockedException>();
        }

        await using (await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup"))
        {
            (await service.ForgetAsync([saved[0].Id], dryRun: false, CancellationToken.None)).Deleted.Should().Be(1, "a running backup does not stop it");
        }

        (await CountLocksAsync(repository)).Should().Be(0);
    }

    [Fact]
    public async Task An_empty_policy_is_refused_before_anything_is_read()
    {
        var (_, repository, saved) = await RepositoryWithHistoryAsync();
        await using var _ = repository;
        var act = () => new RetentionService(repository).ApplyAsync(new RetentionPolicy(), dryRun: false, CancellationToken.None);
        await act.Should().ThrowAsync<ArgumentException>();
        (await ListIdsAsync(repository)).Should().HaveCount(saved.Count);
    }

    private static async Task<int> CountLocksAsync(BackupRepository repository)
    {
        var count = 0;
        await foreach (var _ in RepositoryLock.ReadLocksAsync(repository.Locks))
        {
            count++;
        }

        return count;
    }
}
