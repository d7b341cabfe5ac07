using Azure.Core;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Storage;
using Backup.Providers.Azure;
using Backup.Providers.S3;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// A retention lock the storage did not apply must not pass for one. s3rver and Azurite accept the lock headers and
/// keep no lock (their true behaviour, tested for real); a server that does keep the lock is simulated in the SDK's
/// HTTP path (<see cref="ObjectLockHttpSimulator"/>, <see cref="ImmutabilityKeepingPolicy"/>), as no local emulator keeps one.
/// </summary>
[Collection(S3rverServer.Name)]
public sealed class S3RetentionLockConfirmationTests(S3rverFixture server)
{
    private static readonly S3ObjectLockOptions ThirtyDays = new() { Mode = S3ObjectLockMode.Governance, RetainFor = TimeSpan.FromDays(30) };

    [SkippableFact]
    public async Task Init_on_a_bucket_without_object_lock_is_refused_before_anything_is_written()
    {
        server.RequireServer();
        using var target = new S3Target(S3TargetConformanceTests.Options(server, "init-" + Guid.NewGuid().ToString("N")) with { ObjectLock = ThirtyDays });
        using var credentials = RepositoryCredentials.FromPassword("locked");

        var ex = await FluentActions.Awaiting(() => BackupRepository.InitAsync(target, credentials)).Should().ThrowAsync<RetentionLockNotAppliedException>();

        ex.Which.Message.Should().Contain($"bucket '{S3rverFixture.Bucket}'").And.Contain("cannot keep a retention lock").And.Contain("would not be immutable").And.Contain("Enable Object Lock on the bucket");
        ex.Which.IsTransient.Should().BeFalse();
        (await ToListAsync(target.ListAsync(string.Empty))).Should().BeEmpty("a refused init leaves nothing a later run could take for a locked repository");
    }

    [SkippableFact]
    public async Task A_server_that_accepts_the_lock_headers_and_keeps_no_lock_is_refused_at_the_first_locked_write()
    {
        server.RequireServer();
        using var target = new S3Target(S3TargetConformanceTests.Options(server, "write-" + Guid.NewGuid().ToString("N")) with { ObjectLock = ThirtyDays });

        await target.PutAsync("locks/l1", new byte[] { 1 });
        var first = await FluentActions.Awaiting(() => target.PutAsync("data/00/pack", new byte[] { 1, 2 })).Should().ThrowAsync<RetentionLockNotAppliedException>();
        var second = await FluentActions.Awaiting(() => target.PutAsync("snapshots/s1", new byte[] { 3 })).Should().ThrowAsync<RetentionLockNotAppliedException>();

        first.Which.Message.Should().Contain("accepted the write of 'data/00/pack'").And.Contain("keeps no retention lock on it (it reports no retention)")
            .And.Contain("would not be immutable").And.Contain("Enable Object Lock");
        second.Which.Message.Should().Contain("data/00/pack", "every later locked write is refused for the same finding");
        (await target.StatAsync("data/00/pack")).Should().BeNull("an object that should be locked and is not is removed");
        (await target.StatAsync("snapshots/s1")).Should().BeNull();
        (await target.StatAsync("locks/l1")).Should().NotBeNull("objects that are never locked are not affected");
    }

    [SkippableFact]
    public async Task A_server_that_keeps_the_lock_passes_with_one_read_back_per_target_and_init_succeeds()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        using var target = new S3Target(S3TargetConformanceTests.Options(server, "kept-" + Guid.NewGuid().ToString("N")) with
        {
            ObjectLock = ThirtyDays,
            ConfigureClient = config => config.HttpClientFactory = simulator,
        });
        using var credentials = RepositoryCredentials.FromPassword("locked");

        await using (var repository = await BackupRepository.InitAsync(target, credentials))
        {
            repository.Config.Id.Should().NotBeNullOrEmpty();
        }

        var headsBefore = simulator.Heads;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => target.PutAsync($"data/0{i}/pack", new byte[] { (byte)i })));
        await target.PutAsync("snapshots/s1", new byte[] { 9 });

        (simulator.Heads - headsBefore).Should().Be(1, "the lock is read back once per target (per command), not per object");
        (await target.StatAsync("data/00/pack")).Should().NotBeNull();
    }

    [SkippableFact]
    public async Task A_lock_kept_shorter_than_asked_is_refused_naming_both_dates()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator { ReportedShorterBy = TimeSpan.FromDays(29) };
        using var target = new S3Target(S3TargetConformanceTests.Options(server, "short-" + Guid.NewGuid().ToString("N")) with
        {
            ObjectLock = ThirtyDays,
            ConfigureClient = config => config.HttpClientFactory = simulator,
        });

        var ex = await FluentActions.Awaiting(() => target.PutAsync("snapshots/s1", new byte[] { 1 })).Should().ThrowAsync<RetentionLockNotAppliedException>();

        ex.Which.Message.Should().Contain("it reports GOVERNANCE until").And.Contain("not GOVERNANCE until");
    }

    private static async Task<List<BackupObjectInfo>> ToListAsync(IAsyncEnumerable<BackupObjectInfo> items)
    {
        var list = new List<BackupObjectInfo>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}

[Collection(AzuriteServer.Name)]
public sealed class AzureRetentionLockConfirmationTests(AzuriteFixture server)
{
    private static readonly AzureImmutabilityOptions SevenDays = new() { RetainFor = TimeSpan.FromDays(7) };

    [SkippableFact]
    public async Task Init_on_a_container_without_version_level_immutability_is_refused_before_anything_is_written()
    {
        server.RequireServer();
        await CreateContainerAsync();
        var target = new AzureBlobTarget(AzureBlobTargetConformanceTests.Options(server, "init-" + Guid.NewGuid().ToString("N")) with { Immutability = SevenDays });
        using var credentials = RepositoryCredentials.FromPassword("locked");

        var ex = await FluentActions.Awaiting(() => BackupRepository.InitAsync(target, credentials)).Should().ThrowAsync<RetentionLockNotAppliedException>();

        ex.Which.Message.Should().Contain("container 'backups'").And.Contain("cannot keep an immutability policy (it has no version-level immutability support)")
            .And.Contain("Enable version-level immutability on the container");
        await foreach (var item in target.ListAsync(string.Empty))
        {
            Assert.Fail($"a refused init wrote '{item.Key}'");
        }
    }

    [SkippableFact]
    public async Task Azurite_accepts_the_immutability_header_and_keeps_no_policy_so_the_first_locked_write_is_refused()
    {
        server.RequireServer();
        var target = new AzureBlobTarget(AzureBlobTargetConformanceTests.Options(server, "write-" + Guid.NewGuid().ToString("N")) with { Immutability = SevenDays });

        var ex = await FluentActions.Awaiting(() => target.PutAsync("snapshots/s1", new byte[] { 1 })).Should().ThrowAsync<RetentionLockNotAppliedException>();

        ex.Which.Message.Should().Contain("accepted the write of 'snapshots/s1' with an immutability policy but keeps no retention lock on it (it reports no immutability policy)");
        (await target.StatAsync("snapshots/s1")).Should().BeNull("a blob that should be immutable and is not is removed");
    }

    [SkippableFact]
    public async Task A_service_that_keeps_the_policy_passes_with_one_read_back_per_target_and_init_succeeds()
    {
        server.RequireServer();
        await CreateContainerAsync();
        var policy = new ImmutabilityKeepingPolicy();
        var target = new AzureBlobTarget(AzureBlobTargetConformanceTests.Options(server, "kept-" + Guid.NewGuid().ToString("N")) with
        {
            Immutability = SevenDays,
            ConfigureClient = o => o.AddPolicy(policy, HttpPipelinePosition.PerCall),
        });
        using var credentials = RepositoryCredentials.FromPassword("locked");

        await using (await BackupRepository.InitAsync(target, credentials))
        {
        }

        var headsBefore = policy.Heads;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => target.PutAsync($"data/0{i}/pack", new byte[] { (byte)i })));

        (policy.Heads - headsBefore).Should().Be(1, "the policy is read back once per target (per command), not per blob");
        policy.Kept.Keys.Should().Contain(k => k.EndsWith("/data/00/pack", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Init_into_a_container_that_does_not_exist_is_refused_as_the_tool_would_create_it_without_immutability()
    {
        server.RequireServer();
        var target = new AzureBlobTarget(AzureBlobTargetConformanceTests.Options(server, "p") with { Container = "missing-" + Guid.NewGuid().ToString("N"), Immutability = SevenDays });
        using var credentials = RepositoryCredentials.FromPassword("locked");

        var ex = await FluentActions.Awaiting(() => BackupRepository.InitAsync(target, credentials)).Should().ThrowAsync<RetentionLockNotAppliedException>();

        ex.Which.Message.Should().Contain("it does not exist, and a container created here would have no version-level immutability");
    }

    private Task CreateContainerAsync() =>
        new global::Azure.Storage.Blobs.BlobContainerClient(server.ConnectionString, "backups").CreateIfNotExistsAsync();
}
