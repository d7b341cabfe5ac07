using Backup.Core;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Retention;
using Backup.Core.Storage;
using Backup.Providers.Targets.Tests;
using static Backup.Maintenance.Tests.TestRepository;

namespace Backup.Maintenance.Tests;

/// <summary>
/// The retention extension given forget's policy: the snapshots the policy keeps and the packs they reach are locked
/// again, the snapshots it would forget and the packs only they use are left to lapse, and once their lock ends forget
/// and prune remove them. Object Lock is simulated on a clock the test moves (<see cref="ObjectLockSimulatingTarget"/>).
/// </summary>
public class RetentionExtensionPolicyTests
{
    private static readonly TimeSpan Period = TimeSpan.FromDays(30);
    private static readonly RetentionPolicy KeepLastTwo = new() { KeepLast = 2, GroupBy = SnapshotGrouping.None };

    [Fact]
    public async Task Snapshots_the_policy_forgets_and_packs_only_they_use_lapse_and_forget_and_prune_then_remove_them()
    {
        // After the backups: a snapshot later than "now" counts as future-dated and is always kept.
        var start = DateTimeOffset.UtcNow.AddMinutes(5);
        var time = new ManualTime(start);
        var storage = new InMemoryTarget();
        var target = new ObjectLockSimulatingTarget(storage, Period, time, RepositoryLayout.DataPrefix, RepositoryLayout.SnapshotsPrefix)
        {
            WritesLock = new RetentionLock { Period = Period, Mode = "governance" },
        };

        // Every snapshot holds the shared file, stored with the first; each adds a file of its own, in packs of its own.
        var shared = TestRepository.Random(100, 400_000);
        var snapshots = new List<string>();
        var packsOf = new List<List<string>>();
        var files = new List<Dictionary<string, byte[]>>();
        await using (var repository = await BackupRepository.InitAsync(target, Credentials, Options))
        {
            for (var i = 0; i < 4; i++)
            {
                var before = await KeysAsync(storage, RepositoryLayout.DataPrefix);
                files.Add(new() { ["shared.bin"] = shared, [$"own{i}.bin"] = TestRepository.Random(i + 1, 300_000) });
                snapshots.Add(RepositoryLayout.SnapshotKey((await BackupAsync(repository, files[i], $"s{i}")).Id));
                packsOf.Add([.. (await KeysAsync(storage, RepositoryLayout.DataPrefix)).Except(before)]);
            }
        }

        packsOf.Should().OnlyContain(p => p.Count > 0);
        var sharedPacks = packsOf[0];
        var onlyForgotten = packsOf[1];
        var kept = packsOf[2].Concat(packsOf[3]).ToList();

        // Ten days on, the extension with forget's policy.
        time.Now = start.AddDays(10);
        RetentionExtensionResult result;
        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            result = await new MaintenanceService(repository, time).ExtendRetentionAsync(new RetentionExtensionOptions { Policy = KeepLastTwo });
        }

        var written = start + Period;
        result.RetainUntil.Should().BeOnOrAfter(time.Now + Period);
        result.SnapshotsLeftToLapse.Select(RepositoryLayout.SnapshotKey).Should().BeEquivalentTo(snapshots.Take(2));
        result.PacksLeftToLapse.Should().Be(onlyForgotten.Count);
        result.LeftToLapseBy.Should().Be(result.RetainUntil);
        result.Problems.Should().BeEmpty();
        foreach (var key in snapshots.Skip(2).Concat(kept).Concat(sharedPacks))
        {
            target.RetainUntil(key).Should().Be(result.RetainUntil, $"{key} is needed by a snapshot the policy keeps");
        }

        foreach (var key in snapshots.Take(2).Concat(onlyForgotten))
        {
            target.RetainUntil(key).Should().Be(written, $"{key} is left to lapse: its lock is still the one written with it");
        }

        target.RetainUntil(RepositoryLayout.Config).Should().Be(result.RetainUntil);
        (await KeysAsync(storage, RepositoryLayout.KeysPrefix)).Should().OnlyContain(k => target.RetainUntil(k) == result.RetainUntil);
        (await KeysAsync(storage, RepositoryLayout.IndexPrefix)).Should().OnlyContain(k => target.RetainUntil(k) == result.RetainUntil);

        // A day after the forgotten snapshots' lock ended (and long before the kept ones' ends): forget and prune remove them.
        time.Now = written.AddDays(1);
        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            var forgot = await new RetentionService(repository, time).ApplyAsync(KeepLastTwo, dryRun: false);
            forgot.Locked.Should().BeEmpty();
            forgot.Deleted.Should().Be(2);

            var pruned = await new MaintenanceService(repository, time).PruneAsync(new PruneOptions { RepackThreshold = 0 });
            pruned.Locked.Should().NotContain(l => onlyForgotten.Contains(l.Key), "their lock lapsed");
        }

        (await KeysAsync(storage, RepositoryLayout.SnapshotsPrefix)).Should().BeEquivalentTo(snapshots.Skip(2));
        (await KeysAsync(storage, RepositoryLayout.DataPrefix)).Should().NotIntersectWith(onlyForgotten).And.Contain(kept).And.Contain(sharedPacks);
        (await CheckAsync(target)).Problems.Should().BeEmpty();
        await AssertRestoresAsync(target, new Dictionary<string, Dictionary<string, byte[]>> { ["s2"] = files[2], ["s3"] = files[3] });
    }

    [Fact]
    public async Task Without_a_policy_every_snapshot_is_locked_again_so_forget_removes_none()
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(5);
        var time = new ManualTime(start);
        var storage = new InMemoryTarget();
        var target = new ObjectLockSimulatingTarget(storage, Period, time, RepositoryLayout.DataPrefix, RepositoryLayout.SnapshotsPrefix)
        {
            WritesLock = new RetentionLock { Period = Period, Mode = "governance" },
        };
        await using var repository = await BackupRepository.InitAsync(target, Credentials, Options);
        for (var i = 0; i < 3; i++)
        {
            await BackupAsync(repository, new() { [$"own{i}.bin"] = TestRepository.Random(i + 1, 200_000) }, $"s{i}");
        }

        time.Now = start.AddDays(10);
        var result = await new MaintenanceService(repository, time).ExtendRetentionAsync();
        result.SnapshotsLeftToLapse.Should().BeEmpty();
        result.PacksLeftToLapse.Should().Be(0);
        result.LeftToLapseBy.Should().BeNull();

        time.Now = start + Period + TimeSpan.FromDays(1);
        var forgot = await new RetentionService(repository, time).ApplyAsync(KeepLastTwo, dryRun: false);
        forgot.Deleted.Should().Be(0, "the documented reason to pass the policy");
        forgot.Locked.Should().ContainSingle().Which.RetainUntil.Should().Be(result.RetainUntil);
    }

    [Fact]
    public async Task A_kept_snapshot_whose_data_is_missing_extends_every_pack_and_says_why()
    {
        var time = new ManualTime(DateTimeOffset.UtcNow.AddMinutes(5));
        var storage = new InMemoryTarget();
        var target = new ObjectLockSimulatingTarget(storage, Period, time)
        {
            WritesLock = new RetentionLock { Period = Period, Mode = "governance" },
        };
        await using (var repository = await BackupRepository.InitAsync(target, Credentials, Options))
        {
            await BackupAsync(repository, new() { ["a.bin"] = TestRepository.Random(1, 300_000) }, "s0");
            await BackupAsync(repository, new() { ["b.bin"] = TestRepository.Random(2, 300_000) }, "s1");
        }

        // The pack holding the newest snapshot's tree deleted behind the repository's back: it cannot be walked.
        await using (var repository = await BackupRepository.OpenAsync(target, Credentials))
        {
            var newest = (await repository.Snapshots.ListAsync().ToListAsync()).MaxBy(s => s.Time)!;
            repository.Blobs.Index.TryGet(newest.Tree, out var location).Should().BeTrue();
            await storage.DeleteAsync(RepositoryLayout.PackKey(location.Pack));
        }

        await using (var reopened = await BackupRepository.OpenAsync(target, Credentials))
        {
            var result = await new MaintenanceService(reopened, time).ExtendRetentionAsync(new RetentionExtensionOptions { Policy = KeepLastTwo with { KeepLast = 1 } });
            result.Problems.Should().ContainSingle().Which.Should().Contain("missing");
            result.PacksLeftToLapse.Should().Be(0, "what cannot be judged unused is not left to lapse");
            result.SnapshotsLeftToLapse.Should().HaveCount(1);
        }
    }

    private static async Task<Backup.Core.Verification.CheckResult> CheckAsync(IBackupTarget target)
    {
        await using var repository = await BackupRepository.OpenWithoutIndexAsync(target, Credentials);
        return await new Backup.Core.Verification.VerificationService(repository).CheckAsync(new Backup.Core.Verification.CheckOptions { ReadData = true });
    }
}
