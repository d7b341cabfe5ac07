using System.Text.Json;
using Azure.Core;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Retention;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Verification;
using Backup.Providers.Azure;
using Backup.Providers.S3;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// A repository created with a retention lock records it, and a later run that writes a shorter lock, another mode
/// or none is refused before it writes anything, while reading needs no lock. The storage that keeps locks is
/// simulated in the SDKs' HTTP path (<see cref="ObjectLockHttpSimulator"/>, <see cref="ImmutabilityKeepingPolicy"/>),
/// as in <see cref="S3RetentionLockConfirmationTests"/>.
/// </summary>
[Collection(S3rverServer.Name)]
public sealed class S3RecordedRetentionLockTests(S3rverFixture server)
{
    private static readonly S3ObjectLockOptions ThirtyDays = new() { Mode = S3ObjectLockMode.Governance, RetainFor = TimeSpan.FromDays(30) };

    [SkippableFact]
    public async Task Init_records_the_lock_and_runs_with_that_lock_or_a_longer_one_write()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        var prefix = "rec-" + Guid.NewGuid().ToString("N");
        using var credentials = RepositoryCredentials.FromPassword("locked");
        using (var target = Target(prefix, ThirtyDays, simulator))
        {
            await using var repository = await BackupRepository.InitAsync(target, credentials);
            repository.Config.RetentionLock.Should().Be(new RetentionLock { Period = TimeSpan.FromDays(30), Mode = "governance" });
            repository.Config.Version.Should().Be(3, "a reader that predates the recorded lock must refuse the repository, not ignore the lock");
            await BackupAsync(repository, 1);
        }

        using var plain = Target(prefix, objectLock: null, simulator: null);
        using var stored = JsonDocument.Parse(await plain.ReadAllAsync("config", 1 << 20));
        stored.RootElement.GetProperty("version").GetInt32().Should().Be(3);
        stored.RootElement.GetProperty("retentionLock").GetProperty("period").GetString().Should().Be("30.00:00:00");
        stored.RootElement.GetProperty("retentionLock").GetProperty("mode").GetString().Should().Be("governance");
        stored.RootElement.GetProperty("retentionLock").EnumerateObject().Select(p => p.Name).Should().Equal(["period", "mode"], "the config records what docs/repository-format.md lists, no more");

        using (var longer = Target(prefix, ThirtyDays with { RetainFor = TimeSpan.FromDays(45) }, simulator))
        {
            await using var repository = await BackupRepository.OpenAsync(longer, credentials);
            repository.RequireRetentionLockForWriting();
            await BackupAsync(repository, 2);
        }

        simulator.Locks.Where(l => l.Key.Contains("/snapshots/", StringComparison.Ordinal)).Should().HaveCount(2)
            .And.Contain(l => l.Value.Until > DateTimeOffset.UtcNow.AddDays(44), "the longer run locked its snapshot for its own, longer period");
    }

    [SkippableTheory]
    [InlineData("none", "this run writes no lock")]
    [InlineData("shorter", "this run locks them for only 7d")]
    [InlineData("compliance", "this run uses compliance mode")]
    public async Task A_run_without_the_recorded_lock_is_refused_before_writing_while_reading_needs_no_lock(string given, string writes)
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        var prefix = "ref-" + Guid.NewGuid().ToString("N");
        using var credentials = RepositoryCredentials.FromPassword("locked");
        using (var target = Target(prefix, ThirtyDays, simulator))
        {
            await using var repository = await BackupRepository.InitAsync(target, credentials);
            await BackupAsync(repository, 1);
        }

        using var run = given switch
        {
            "none" => Target(prefix, objectLock: null, simulator: null),
            "shorter" => Target(prefix, ThirtyDays with { RetainFor = TimeSpan.FromDays(7) }, simulator),
            _ => Target(prefix, ThirtyDays with { Mode = S3ObjectLockMode.Compliance }, simulator),
        };
        var before = await KeysAsync(run);
        var locksBefore = simulator.Locks.Count;
        var restoreInto = Directory.CreateTempSubdirectory("lockrec-restore-");
        try
        {
            await using var repository = await BackupRepository.OpenAsync(run, credentials);

            var early = FluentActions.Invoking(repository.RequireRetentionLockForWriting).Should().Throw<RetentionLockRequiredException>().Which;
            early.Message.Should().Contain("was created with a retention lock of 30d (governance mode)").And.Contain(writes)
                .And.Contain("Set RetentionLock (BACKUP_RETENTION_LOCK) to 30d or longer and RetentionMode (BACKUP_S3_RETENTION_MODE) to governance");
            early.Recorded.Should().Be(new RetentionLock { Period = TimeSpan.FromDays(30), Mode = "governance" });
            await FluentActions.Awaiting(() => BackupAsync(repository, 2)).Should().ThrowAsync<RetentionLockRequiredException>();
            var snapshot = await SingleSnapshotAsync(repository);
            await FluentActions.Awaiting(() => new RetentionService(repository).ForgetAsync([snapshot.Id], dryRun: false))
                .Should().ThrowAsync<RetentionLockRequiredException>("forgetting changes the repository too");
            await FluentActions.Awaiting(() => repository.Snapshots.SetPinnedAsync(snapshot.Id, pinned: true)).Should().ThrowAsync<RetentionLockRequiredException>();
            using (var another = RepositoryCredentials.FromPassword("another"))
            {
                await FluentActions.Awaiting(() => repository.Keys.AddKeyAsync(another)).Should().ThrowAsync<RetentionLockRequiredException>();
            }

            (await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true })).IsSuccess.Should().BeTrue("checking only reads");
            var restored = await new RestoreService(repository).RestoreAsync(snapshot, restoreInto.FullName);
            restored.Problems.Should().BeEmpty("restoring only reads");
            (await new RetentionService(repository).ForgetAsync([snapshot.Id], dryRun: true)).Removed.Should().ContainSingle("a dry run only reads");
        }
        finally
        {
            restoreInto.Delete(recursive: true);
        }

        (await KeysAsync(run)).Should().Equal(before, "a refused run leaves no pack, index, snapshot, key or lock behind");
        simulator.Locks.Should().HaveCount(locksBefore, "nothing new was stored, locked or not");
    }

    private S3Target Target(string prefix, S3ObjectLockOptions? objectLock, ObjectLockHttpSimulator? simulator) =>
        new(S3TargetConformanceTests.Options(server, prefix) with
        {
            ObjectLock = objectLock,
            ConfigureClient = simulator is null ? null : config => config.HttpClientFactory = simulator,
        });

    internal static async Task BackupAsync(BackupRepository repository, int seed)
    {
        var bytes = new byte[200_000];
        new Random(seed).NextBytes(bytes);
        await new BackupService(repository).BackupAsync(StreamSource.FromStream($"export-{seed}.bin", new MemoryStream(bytes)), new BackupOptions { Level = BackupLevel.Full, EncodeWorkers = 2 });
    }

    internal static async Task<Snapshot> SingleSnapshotAsync(BackupRepository repository)
    {
        var all = new List<Snapshot>();
        await foreach (var s in repository.Snapshots.ListAsync())
        {
            all.Add(s);
        }

        return all.Should().ContainSingle().Subject;
    }

    internal static async Task<List<string>> KeysAsync(IBackupTarget target)
    {
        var keys = new List<string>();
        await foreach (var item in target.ListAsync(string.Empty))
        {
            keys.Add(item.Key);
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}

[Collection(AzuriteServer.Name)]
public sealed class AzureRecordedRetentionLockTests(AzuriteFixture server)
{
    private static readonly AzureImmutabilityOptions SevenDays = new() { RetainFor = TimeSpan.FromDays(7) };

    [SkippableFact]
    public async Task Init_records_the_period_and_a_run_without_the_policy_is_refused_while_one_with_it_writes()
    {
        server.RequireServer();
        await new global::Azure.Storage.Blobs.BlobContainerClient(server.ConnectionString, "backups").CreateIfNotExistsAsync();
        var policy = new ImmutabilityKeepingPolicy();
        var prefix = "rec-" + Guid.NewGuid().ToString("N");
        using var credentials = RepositoryCredentials.FromPassword("locked");
        await using (var repository = await BackupRepository.InitAsync(Target(prefix, SevenDays, policy), credentials))
        {
            repository.Config.RetentionLock.Should().Be(new RetentionLock { Period = TimeSpan.FromDays(7) }, "Azure has one kind of policy: no mode is recorded");
            await S3RecordedRetentionLockTests.BackupAsync(repository, 1);
        }

        var plain = Target(prefix, immutability: null, policy: null);
        var before = await S3RecordedRetentionLockTests.KeysAsync(plain);
        await using (var repository = await BackupRepository.OpenAsync(plain, credentials))
        {
            var refused = await FluentActions.Awaiting(() => S3RecordedRetentionLockTests.BackupAsync(repository, 2)).Should().ThrowAsync<RetentionLockRequiredException>();
            refused.Which.Message.Should().Contain("created with a retention lock of 7d:").And.Contain("this run writes no lock")
                .And.Contain("Set RetentionLock (BACKUP_RETENTION_LOCK) to 7d or longer;");
            (await new VerificationService(repository).CheckAsync(new CheckOptions { ReadData = true })).IsSuccess.Should().BeTrue();
        }

        (await S3RecordedRetentionLockTests.KeysAsync(plain)).Should().Equal(before);

        await using (var repository = await BackupRepository.OpenAsync(Target(prefix, SevenDays with { RetainFor = TimeSpan.FromDays(8) }, policy), credentials))
        {
            await S3RecordedRetentionLockTests.BackupAsync(repository, 2);
        }

        policy.Kept.Keys.Count(k => k.Contains("/snapshots/", StringComparison.Ordinal)).Should().Be(2);
    }

    /// <summary>
    /// A locked policy (BACKUP_AZURE_RETENTION_LOCKED=true) is recorded as such: a later run that writes unlocked
    /// policies, which an administrator could shorten, is refused naming the setting, and one that keeps it writes.
    /// </summary>
    [SkippableFact]
    public async Task A_locked_policy_is_recorded_and_a_run_writing_unlocked_policies_is_refused_naming_the_setting()
    {
        server.RequireServer();
        await new global::Azure.Storage.Blobs.BlobContainerClient(server.ConnectionString, "backups").CreateIfNotExistsAsync();
        var policy = new ImmutabilityKeepingPolicy();
        var prefix = "recl-" + Guid.NewGuid().ToString("N");
        var locked = SevenDays with { Locked = true };
        using var credentials = RepositoryCredentials.FromPassword("locked");
        await using (var repository = await BackupRepository.InitAsync(Target(prefix, locked, policy), credentials))
        {
            repository.Config.RetentionLock.Should().Be(new RetentionLock { Period = TimeSpan.FromDays(7), Mode = "locked" });
            await S3RecordedRetentionLockTests.BackupAsync(repository, 1);
        }

        var plain = Target(prefix, immutability: null, policy: null);
        using (var stored = JsonDocument.Parse(await plain.ReadAllAsync("config", 1 << 20)))
        {
            stored.RootElement.GetProperty("retentionLock").GetProperty("mode").GetString().Should().Be("locked");
        }

        var before = await S3RecordedRetentionLockTests.KeysAsync(plain);
        await using (var repository = await BackupRepository.OpenAsync(Target(prefix, SevenDays with { RetainFor = TimeSpan.FromDays(30) }, policy), credentials))
        {
            var early = FluentActions.Invoking(repository.RequireRetentionLockForWriting).Should().Throw<RetentionLockRequiredException>().Which;
            early.Message.Should().Contain("created with a retention lock of 7d (locked mode)").And.Contain("this run writes unlocked immutability policies")
                .And.Contain("Set RetentionLock (BACKUP_RETENTION_LOCK) to 7d or longer and RetentionPolicyLocked (BACKUP_AZURE_RETENTION_LOCKED) to true;");
            await FluentActions.Awaiting(() => S3RecordedRetentionLockTests.BackupAsync(repository, 2)).Should().ThrowAsync<RetentionLockRequiredException>();
        }

        (await S3RecordedRetentionLockTests.KeysAsync(plain)).Should().Equal(before, "the refused run wrote nothing");

        await using (var repository = await BackupRepository.OpenAsync(Target(prefix, locked, policy), credentials))
        {
            repository.RequireRetentionLockForWriting();
            await S3RecordedRetentionLockTests.BackupAsync(repository, 2);
        }

        policy.Kept.Where(k => k.Key.Contains("/snapshots/", StringComparison.Ordinal)).Should().HaveCount(2).And.OnlyContain(k => k.Value.Mode == "Locked");
    }

    private AzureBlobTarget Target(string prefix, AzureImmutabilityOptions? immutability, ImmutabilityKeepingPolicy? policy) =>
        new(AzureBlobTargetConformanceTests.Options(server, prefix) with
        {
            Immutability = immutability,
            ConfigureClient = policy is null ? null : o => o.AddPolicy(policy, HttpPipelinePosition.PerCall),
        });
}
