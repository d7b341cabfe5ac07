using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Azure.Core;
using Backup.Providers.Azure;
using Backup.Providers.S3;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// A retention-locked repository's live objects are locked again from the day of each extension run, not only from the
/// day each was written: every object the repository needs (keys and config included), and nothing else. S3 Object
/// Lock is simulated in the SDK's HTTP path (<see cref="ObjectLockHttpSimulator"/>), which applies S3's rule that a
/// retention is never shortened.
/// </summary>
[Collection(S3rverServer.Name)]
public sealed class S3RetentionExtensionTests(S3rverFixture server)
{
    private static readonly S3ObjectLockOptions ThirtyDays = new() { Mode = S3ObjectLockMode.Governance, RetainFor = TimeSpan.FromDays(30) };

    [SkippableFact]
    public async Task Every_live_object_is_locked_from_now_and_lock_objects_unreferenced_packs_and_longer_locks_are_left()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        var prefix = "ext-" + Guid.NewGuid().ToString("N");
        using var credentials = RepositoryCredentials.FromPassword("locked");
        using var s3 = Target(prefix, ThirtyDays, simulator);
        await using (var repository = await BackupRepository.InitAsync(s3, credentials))
        {
            await S3RecordedRetentionLockTests.BackupAsync(repository, 1);
            await S3RecordedRetentionLockTests.BackupAsync(repository, 2);
        }

        // A pack no index lists (a torn upload), which prune is to remove, not this run to keep.
        using var plain = Target(prefix, objectLock: null, simulator: null);
        var unreferenced = "data/ff/" + new string('f', 64);
        await plain.PutAsync(unreferenced, new byte[100]);

        // One snapshot locked for longer than the recorded period (a run with a longer --retention-lock wrote it).
        var longerPath = simulator.Locks.Keys.First(k => k.Contains("/snapshots/", StringComparison.Ordinal));
        var longerUntil = new DateTimeOffset(DateTimeOffset.UtcNow.AddDays(400).UtcDateTime.Date, TimeSpan.Zero);
        simulator.Locks[longerPath] = ("GOVERNANCE", longerUntil);

        var live = (await S3RecordedRetentionLockTests.KeysAsync(plain)).Where(k => k != unreferenced).ToList();
        live.Should().Contain("config").And.Contain(k => k.StartsWith("keys/", StringComparison.Ordinal)).And.Contain(k => k.StartsWith("index/", StringComparison.Ordinal))
            .And.NotContain(k => k.StartsWith("locks/", StringComparison.Ordinal), "no lock is held between runs");
        live.Count(k => k.StartsWith("data/", StringComparison.Ordinal)).Should().BeGreaterThan(0);
        var putsBefore = simulator.RetentionPuts;

        var counting = new CountingTarget(s3);
        var before = DateTimeOffset.UtcNow;
        Backup.Core.Maintenance.RetentionExtensionResult result;
        await using (var repository = await BackupRepository.OpenAsync(counting, credentials))
        {
            result = await new Backup.Core.Maintenance.MaintenanceService(repository).ExtendRetentionAsync();
        }

        var after = DateTimeOffset.UtcNow;
        result.RetainUntil.Should().BeOnOrAfter(before.AddDays(30)).And.BeOnOrBefore(after.AddDays(30).AddSeconds(1));
        result.RetentionLock.Should().Be(new RetentionLock { Period = TimeSpan.FromDays(30), Mode = "governance" });
        result.Extended.Should().Be(live.Count - 1);
        result.AlreadyLockedLonger.Should().Be(1, "the snapshot locked for 400 days is left as it is, and counted");
        result.EarliestRetainUntil.Should().Be(result.RetainUntil);
        result.Missing.Should().BeEmpty();
        (simulator.RetentionPuts - putsBefore).Should().Be(live.Count, "one request per live object");
        counting.RetentionExtensions.Should().Be(live.Count, "each extension goes through the counting layer (BACKUP_TRACE_REQUESTS)");

        foreach (var key in live)
        {
            var until = await s3.GetRetainUntilAsync(key);
            until.Should().Be(key == longerPath[(longerPath.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length + 1)..] ? longerUntil : result.RetainUntil, key);
        }

        (await s3.GetRetainUntilAsync(unreferenced)).Should().BeNull("an unreferenced pack is not the repository's to keep");
        simulator.Locks.Keys.Should().NotContain(k => k.Contains("/locks/", StringComparison.Ordinal), "the run's own lock object is never locked");
    }

    [SkippableFact]
    public async Task An_index_object_a_newer_one_supersedes_is_not_locked_again()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        var prefix = "exts-" + Guid.NewGuid().ToString("N");
        using var credentials = RepositoryCredentials.FromPassword("locked");
        using var s3 = Target(prefix, ThirtyDays, simulator);
        await using var repository = await BackupRepository.InitAsync(s3, credentials);
        await S3RecordedRetentionLockTests.BackupAsync(repository, 1);
        await S3RecordedRetentionLockTests.BackupAsync(repository, 2);
        await new Backup.Core.Maintenance.MaintenanceService(repository).ExtendRetentionAsync();
        var oldIndex = (await S3RecordedRetentionLockTests.KeysAsync(s3)).Where(k => k.StartsWith("index/", StringComparison.Ordinal)).ToList();
        var oldPacks = (await S3RecordedRetentionLockTests.KeysAsync(s3)).Where(k => k.StartsWith("data/", StringComparison.Ordinal)).ToList();

        // Prune combines the two small packs and writes one index superseding the two old ones, whose deletion the
        // lock refuses: they stay, superseded.
        await new Backup.Core.Maintenance.MaintenanceService(repository).PruneAsync(new Backup.Core.Maintenance.PruneOptions { RepackSmall = true });
        var index = (await S3RecordedRetentionLockTests.KeysAsync(s3)).Where(k => k.StartsWith("index/", StringComparison.Ordinal)).ToList();
        index.Should().HaveCount(3, "the new index beside the two old ones its lock kept").And.Contain(oldIndex);

        await using var reopened = await BackupRepository.OpenAsync(s3, credentials);
        var putsBefore = simulator.RetentionPuts;
        var result = await new Backup.Core.Maintenance.MaintenanceService(reopened).ExtendRetentionAsync();

        // The old packs, rewritten into one, are kept by their lock as unindexed packs, which prune removes later.
        var live = (await S3RecordedRetentionLockTests.KeysAsync(s3)).Except(oldIndex).Except(oldPacks).ToList();
        live.Should().Contain(k => k.StartsWith("data/", StringComparison.Ordinal), "the combined pack");
        (simulator.RetentionPuts - putsBefore).Should().Be(live.Count, "every live object, and not the superseded index or the replaced packs");
        result.Extended.Should().Be(live.Count);
        foreach (var key in oldIndex.Concat(oldPacks))
        {
            (await s3.GetRetainUntilAsync(key)).Should().BeBefore(result.RetainUntil, "prune removes it once its lock from the first run ends");
        }
    }

    [SkippableFact]
    public async Task A_repository_without_a_recorded_lock_has_nothing_to_extend_and_one_opened_without_the_lock_is_refused()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        using var credentials = RepositoryCredentials.FromPassword("locked");

        var unlockedPrefix = "extn-" + Guid.NewGuid().ToString("N");
        using (var unlocked = Target(unlockedPrefix, objectLock: null, simulator: null))
        {
            await using var created = await BackupRepository.InitAsync(unlocked, credentials);
        }

        using (var locking = Target(unlockedPrefix, ThirtyDays, simulator))
        {
            await using var repository = await BackupRepository.OpenAsync(locking, credentials);
            var refused = await FluentActions.Awaiting(() => new Backup.Core.Maintenance.MaintenanceService(repository).ExtendRetentionAsync()).Should().ThrowAsync<RepositoryException>();
            refused.Which.Message.Should().Contain("was created without a retention lock, so there is no lock to extend")
                .And.Contain("backup init --retention-lock").And.Contain("backup copy");
        }

        var lockedPrefix = "extl-" + Guid.NewGuid().ToString("N");
        using (var locked = Target(lockedPrefix, ThirtyDays, simulator))
        {
            await using var created = await BackupRepository.InitAsync(locked, credentials);
        }

        var putsBefore = simulator.RetentionPuts;
        using (var shorter = Target(lockedPrefix, ThirtyDays with { RetainFor = TimeSpan.FromDays(7) }, simulator))
        {
            await using var repository = await BackupRepository.OpenAsync(shorter, credentials);
            var refused = await FluentActions.Awaiting(() => new Backup.Core.Maintenance.MaintenanceService(repository).ExtendRetentionAsync()).Should().ThrowAsync<RetentionLockRequiredException>();
            refused.Which.Message.Should().Contain("was created with a retention lock of 30d (governance mode)").And.Contain("this run locks them for only 7d");
        }

        simulator.RetentionPuts.Should().Be(putsBefore, "a refused run extends nothing");
    }

    [SkippableFact]
    public async Task A_compliance_lock_is_never_shortened_and_a_missing_object_is_reported_as_missing()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        using var s3 = Target("extc-" + Guid.NewGuid().ToString("N"), ThirtyDays with { Mode = S3ObjectLockMode.Compliance }, simulator);
        await s3.PutAsync("snapshots/" + new string('a', 64), new byte[10]);
        var written = await s3.GetRetainUntilAsync("snapshots/" + new string('a', 64));
        await s3.PutAsync("keys/" + new string('b', 64), new byte[10]);

        var shorter = await s3.ExtendRetentionAsync("snapshots/" + new string('a', 64), DateTimeOffset.UtcNow.AddDays(1));
        shorter.Extended.Should().BeFalse();
        shorter.RetainUntil.Should().Be(written!.Value);
        (await s3.GetRetainUntilAsync("snapshots/" + new string('a', 64))).Should().Be(written, "S3 refuses to shorten a compliance lock, and nothing else was asked");

        var until = new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var extended = await s3.ExtendRetentionAsync("keys/" + new string('b', 64), until);
        extended.Should().Be(new RetentionExtension { Extended = true, RetainUntil = until }, "an object written without a lock gets one");
        (await s3.GetRetainUntilAsync("keys/" + new string('b', 64))).Should().Be(until);
        simulator.Locks.Values.Should().OnlyContain(l => l.Mode == "COMPLIANCE");

        await FluentActions.Awaiting(() => s3.ExtendRetentionAsync("data/00/" + new string('0', 64), until)).Should().ThrowAsync<BackupObjectNotFoundException>();
    }

    private S3Target Target(string prefix, S3ObjectLockOptions? objectLock, ObjectLockHttpSimulator? simulator) =>
        new(S3TargetConformanceTests.Options(server, prefix) with
        {
            ObjectLock = objectLock,
            ConfigureClient = simulator is null ? null : config => config.HttpClientFactory = simulator,
        });
}

/// <summary>
/// The same on Azure: Set Blob Immutability Policy is simulated in the SDK's pipeline (<see cref="ImmutabilityKeepingPolicy"/>)
/// with the service's rule that a locked policy is never shortened.
/// </summary>
[Collection(AzuriteServer.Name)]
public sealed class AzureRetentionExtensionTests(AzuriteFixture server)
{
    [SkippableFact]
    public async Task Every_live_blob_gets_a_locked_policy_from_now_and_a_longer_one_is_left()
    {
        server.RequireServer();
        await new global::Azure.Storage.Blobs.BlobContainerClient(server.ConnectionString, "backups").CreateIfNotExistsAsync();
        var policy = new ImmutabilityKeepingPolicy();
        var prefix = "ext-" + Guid.NewGuid().ToString("N");
        var locked = new AzureImmutabilityOptions { RetainFor = TimeSpan.FromDays(7), Locked = true };
        using var credentials = RepositoryCredentials.FromPassword("locked");
        var target = Target(prefix, locked, policy);
        await using (var repository = await BackupRepository.InitAsync(target, credentials))
        {
            await S3RecordedRetentionLockTests.BackupAsync(repository, 1);
        }

        var longerPath = policy.Kept.Keys.First(k => k.Contains("/snapshots/", StringComparison.Ordinal));
        var longerUntil = new DateTimeOffset(DateTimeOffset.UtcNow.AddDays(400).UtcDateTime.Date, TimeSpan.Zero);
        policy.Kept[longerPath] = (longerUntil, "Locked");
        var live = await S3RecordedRetentionLockTests.KeysAsync(Target(prefix, immutability: null, policy: null));
        var setsBefore = policy.PolicySets;

        Backup.Core.Maintenance.RetentionExtensionResult result;
        await using (var repository = await BackupRepository.OpenAsync(target, credentials))
        {
            result = await new Backup.Core.Maintenance.MaintenanceService(repository).ExtendRetentionAsync();
        }

        result.RetentionLock.Should().Be(new RetentionLock { Period = TimeSpan.FromDays(7), Mode = "locked" });
        result.Extended.Should().Be(live.Count - 1);
        result.AlreadyLockedLonger.Should().Be(1);
        (policy.PolicySets - setsBefore).Should().Be(live.Count, "one request per live blob with locked policies");
        foreach (var key in live)
        {
            var kept = policy.Kept.Single(k => k.Key.EndsWith($"/{prefix}/{key}", StringComparison.Ordinal)).Value;
            kept.Should().Be(k(key), key);
        }

        (DateTimeOffset, string) k(string key) => longerPath.EndsWith($"/{prefix}/{key}", StringComparison.Ordinal) ? (longerUntil, "Locked") : (result.RetainUntil, "Locked");
    }

    private AzureBlobTarget Target(string prefix, AzureImmutabilityOptions? immutability, ImmutabilityKeepingPolicy? policy) =>
        new(AzureBlobTargetConformanceTests.Options(server, prefix) with
        {
            Immutability = immutability,
            ConfigureClient = policy is null ? null : o => o.AddPolicy(policy, HttpPipelinePosition.PerCall),
        });
}
