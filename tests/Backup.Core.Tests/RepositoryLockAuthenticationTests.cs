using System.Text;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Repository.Locks;

namespace Backup.Core.Tests;

/// <summary>
/// Lock objects are authenticated under the master key: storage access alone can neither lock anyone out nor read who
/// holds a lock, and a lock object that does not authenticate is ignored but always reported.
/// </summary>
public class RepositoryLockAuthenticationTests
{
    [Fact]
    public async Task Forged_and_foreign_lock_objects_block_nothing_and_are_reported()
    {
        using var directory = new TempDirectory();
        var target = new LocalDirectoryTarget(directory.Path);
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        var reported = new List<string>();
        repository.Locking.UnauthenticatedLockFound = reported.Add;
        var locks = Path.Combine(directory.Path, "locks");
        Directory.CreateDirectory(locks);

        // 1. Plain JSON, as older versions wrote and as anyone with storage access can: exclusive for a year.
        var now = DateTimeOffset.UtcNow;
        await File.WriteAllTextAsync(Path.Combine(locks, new string('a', 32)),
            $$"""{"exclusive":true,"hostname":"forger","processId":1,"purpose":"prune","refreshed":"{{now:O}}","expires":"{{now.AddYears(1):O}}"}""");

        // 2. A genuine, live lock of another repository (another key).
        using (var otherDirectory = new TempDirectory())
        {
            await using var other = await TestRepository.InitAsync(new LocalDirectoryTarget(otherDirectory.Path), TestRepository.NewKeyFile());
            await using var foreign = await RepositoryLock.AcquireAsync(other.Locks, exclusive: true, "prune");
            File.Copy(Path.Combine(otherDirectory.Path, foreign.Key), Path.Combine(locks, new string('b', 32)));
        }

        // 3. A genuine, live exclusive lock of this repository copied under another name (it is bound to its name).
        await using (var genuine = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune"))
        {
            File.Copy(Path.Combine(directory.Path, genuine.Key), Path.Combine(locks, new string('c', 32)));
            var stored = await File.ReadAllBytesAsync(Path.Combine(directory.Path, genuine.Key));
            stored[0].Should().Be(1, "a lock object is an envelope");
            Encoding.UTF8.GetString(stored).Should().NotContain("\"hostname\"").And.NotContain("processId", "a lock object does not show its holder to storage access");
        }

        reported.Clear();
        await using (var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune"))
        {
            held.IsExclusive.Should().BeTrue();
        }

        reported.Should().HaveCount(3);
        foreach (var name in new[] { 'a', 'b', 'c' })
        {
            reported.Should().ContainSingle(m => m.Contains($"'locks/{new string(name, 32)}'", StringComparison.Ordinal) && m.Contains("does not authenticate", StringComparison.Ordinal));
        }

        (await RepositoryLock.ReadLocksAsync(repository.Locks).ToListAsync()).Should().BeEmpty("none of them is a lock of this repository");
        (await RepositoryLock.RemoveStaleLocksAsync(repository.Locks)).Should().BeEmpty();
        Directory.GetFiles(locks).Should().HaveCount(3, "unauthenticated objects are reported, not deleted");
    }

    [Fact]
    public async Task A_genuine_live_lock_still_blocks()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(target, credentials);
        await using var second = await BackupRepository.OpenAsync(target, credentials);
        await using var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup");
        var act = () => RepositoryLock.AcquireAsync(second.Locks, exclusive: true, "prune");
        (await act.Should().ThrowAsync<RepositoryLockedException>()).Which.Message.Should().Contain("locked by 'backup' on host");
    }
}
