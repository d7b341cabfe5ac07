using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Backup.Providers.S3;
using Backup.Providers.Targets.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

/// <summary>
/// A host's job gets the protection the tool has: a repository created with a retention lock is not written by a
/// job whose repository settings give no lock, and is by one that gives it. S3 Object Lock is simulated in the SDK's
/// HTTP path (<see cref="ObjectLockHttpSimulator"/>), as s3rver keeps no locks.
/// </summary>
public sealed class RecordedRetentionLockJobTests(S3rverFixture server) : IClassFixture<S3rverFixture>
{
    private static readonly S3ObjectLockOptions ThirtyDays = new() { Mode = S3ObjectLockMode.Governance, RetainFor = TimeSpan.FromDays(30) };

    [SkippableFact]
    public async Task A_job_without_the_recorded_lock_fails_without_writing_and_one_with_it_succeeds()
    {
        server.RequireServer();
        var simulator = new ObjectLockHttpSimulator();
        var prefix = "job-" + Guid.NewGuid().ToString("N");
        using (var creator = Target(prefix, ThirtyDays, simulator))
        {
            using var credentials = TestSupport.FastCredentials();
            await (await BackupRepository.InitAsync(creator, credentials)).DisposeAsync();
        }

        using var plain = Target(prefix, objectLock: null, simulator: null);
        var before = await KeysAsync(plain);
        await using (var provider = TestSupport.Build(configure: b => b.AddRepository("main", r => r.TargetFactory = _ => Target(prefix, objectLock: null, simulator: null))))
        {
            var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");

            result.Outcome.Should().Be(BackupJobOutcome.Failed);
            result.Error.Should().BeOfType<RetentionLockRequiredException>().Which.Message.Should().Contain("created with a retention lock of 30d (governance mode)");
        }

        (await KeysAsync(plain)).Should().Equal(before, "the failed job stored nothing and removed its lock");

        await using (var provider = TestSupport.Build(configure: b => b.AddRepository("main", r => r.TargetFactory = _ => Target(prefix, ThirtyDays, simulator))))
        {
            var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");

            result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.ToString());
        }

        simulator.Locks.Keys.Should().Contain(k => k.Contains("/snapshots/", StringComparison.Ordinal));
    }

    private S3Target Target(string prefix, S3ObjectLockOptions? objectLock, ObjectLockHttpSimulator? simulator) => new(new S3TargetOptions
    {
        Endpoint = server.Endpoint,
        Bucket = S3rverFixture.Bucket,
        Prefix = prefix,
        ForcePathStyle = true,
        Credentials = new S3Credentials("S3RVER", "S3RVER"),
        ObjectLock = objectLock,
        ConfigureClient = simulator is null ? null : config => config.HttpClientFactory = simulator,
    });

    private static async Task<List<string>> KeysAsync(IBackupTarget target)
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
