using System.Diagnostics;
using Backup.Core.Repository;
using Backup.Core.Repository.Locks;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Core.Tests;

/// <summary>
/// A lock of a process on this host that no longer runs is stale at once (a reused process id does not keep it
/// alive); a live process's lock blocks; another host's lock counts until it expires; stale locks can be removed.
/// </summary>
public class RepositoryLockStalenessTests
{
    [Fact]
    public async Task A_lock_of_a_process_that_ended_on_this_host_is_ignored_removed_and_reported()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        var reported = new List<string>();
        repository.Locking.StaleLockFound = reported.Add;
        var pid = await EndedProcessIdAsync();
        var key = await PutAsync(repository, Holder(pid) with { ProcessStart = 12345 });

        await using (var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune"))
        {
            held.IsExclusive.Should().BeTrue("the holder is gone, so its exclusive lock no longer counts");
        }

        (await target.StatAsync(key)).Should().BeNull("a lock whose process is certainly gone is removed");
        reported.Should().ContainSingle().Which.Should().Contain($"pid {pid}").And.Contain("no longer runs on this host").And.Contain("removed");
    }

    [Fact]
    public async Task A_lock_of_a_running_process_blocks_but_the_same_id_started_at_another_time_does_not()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var self = ProcessIdentity.Current();
        self.Should().NotBeNull("this platform tells when a process started");

        var live = await PutAsync(repository, Holder(Environment.ProcessId) with { BootId = self!.BootId, ProcessStart = self.StartTime });
        var blocked = () => RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup");
        var refused = (await blocked.Should().ThrowAsync<RepositoryLockedException>()).Which;
        refused.IsOnThisHost.Should().BeTrue();
        refused.Message.Should().Contain($"locked exclusively by 'prune' on host {Environment.MachineName}, pid {Environment.ProcessId}, since ");
        refused.Since.Should().NotBeNull();
        (await repository.RemoveStaleLocksAsync()).Should().BeEmpty("the holder runs");
        await repository.Locks.Target.DeleteAsync(live);

        // The same process id, but the process holding it now started at another time: the lock's holder is gone.
        await PutAsync(repository, Holder(Environment.ProcessId) with { BootId = self.BootId, ProcessStart = self.StartTime - 1 });
        await using var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune");
        held.IsExclusive.Should().BeTrue();
    }

    [SkippableFact]
    public async Task A_lock_written_before_this_host_restarted_is_stale()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "boot ids are read on Linux");
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var self = ProcessIdentity.Current()!;
        await PutAsync(repository, Holder(Environment.ProcessId) with { BootId = Guid.NewGuid().ToString(), ProcessStart = self.StartTime });
        var removed = await repository.RemoveStaleLocksAsync();
        removed.Should().ContainSingle().Which.StaleReason.Should().Contain("restarted");
    }

    [SkippableFact]
    public async Task A_lock_of_a_process_that_ended_but_was_never_reaped_is_stale()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "process states are read on Linux");

        // A container whose init never reaps leaves an ended backup a zombie: its id stays taken, and it must not keep
        // its lock. The shell's background child ends once the shell has become a process that never waits for it
        // (ending earlier, the shell itself might reap it).
        using var parent = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 0.5 & echo $!; exec sleep 60"]) { RedirectStandardOutput = true })!;
        try
        {
            var zombie = int.Parse((await parent.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
            var stat = $"/proc/{zombie}/stat";
            for (var wait = 0; wait < 400 && !(await File.ReadAllTextAsync(stat)).Split(')')[^1].TrimStart().StartsWith('Z'); wait++)
            {
                await Task.Delay(25);
            }

            var fields = (await File.ReadAllTextAsync(stat)).Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            fields[0].Should().Be("Z", "the child has ended and nobody reaps it");
            await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
            await PutAsync(repository, Holder(zombie) with { ProcessStart = long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture) });

            var removed = await repository.RemoveStaleLocksAsync();
            removed.Should().ContainSingle().Which.StaleReason.Should().Contain($"process {zombie} has ended");
        }
        finally
        {
            parent.Kill();
        }
    }

    [Fact]
    public async Task Another_hosts_lock_counts_until_it_expires_however_its_process_id_looks_here()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var pid = await EndedProcessIdAsync();
        await PutAsync(repository, Holder(pid) with { Hostname = "another-host-" + Guid.NewGuid().ToString("n"), ProcessStart = 1 });

        var blocked = () => RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup");
        (await blocked.Should().ThrowAsync<RepositoryLockedException>()).Which.IsOnThisHost.Should().BeFalse();
        (await repository.RemoveStaleLocksAsync()).Should().BeEmpty("another host's lock is live until it expires");

        var later = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromHours(2));
        await using (var held = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune", later))
        {
            held.IsExclusive.Should().BeTrue("the other host's lock expired");
        }

        (await RepositoryLock.RemoveStaleLocksAsync(repository.Locks, later)).Should().ContainSingle().Which.StaleReason.Should().Contain("expired");
    }

    [Fact]
    public async Task A_lock_of_an_older_version_on_this_host_is_stale_when_no_process_has_its_id_and_otherwise_expires()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var pid = await EndedProcessIdAsync();
        var old = Holder(pid) with { Taken = null };
        await PutAsync(repository, old);
        await PutAsync(repository, old with { ProcessId = Environment.ProcessId });

        var removed = await repository.RemoveStaleLocksAsync();
        removed.Should().ContainSingle().Which.ProcessId.Should().Be(pid, "without a start time only an id no process has is certain");
        var blocked = () => RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup");
        (await blocked.Should().ThrowAsync<RepositoryLockedException>()).Which.Since.Should().BeNull();
    }

    [Fact]
    public async Task Removing_all_locks_removes_live_ones_too()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        await PutAsync(repository, Holder(Environment.ProcessId) with { Hostname = "elsewhere", Exclusive = false });
        await using var mine = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: false, "backup");

        var removed = await repository.RemoveAllLocksAsync();
        removed.Should().HaveCount(2).And.OnlyContain(l => l.StaleReason == null);
        (await RepositoryLock.ReadLocksAsync(repository.Locks).ToListAsync()).Should().BeEmpty();
    }

    private static LockObject Holder(int processId)
    {
        var now = DateTimeOffset.UtcNow;
        return new LockObject
        {
            Exclusive = true,
            Hostname = Environment.MachineName,
            ProcessId = processId,
            BootId = ProcessIdentity.Current()?.BootId,
            Purpose = "prune",
            Taken = now,
            Refreshed = now,
            Expires = now + TimeSpan.FromHours(1),
        };
    }

    private static async Task<string> PutAsync(BackupRepository repository, LockObject value)
    {
        var key = RepositoryLayout.LocksPrefix + Guid.NewGuid().ToString("n");
        await repository.Locks.Target.PutAsync(key, RepositoryLock.Encode(repository.Locks, key, value));
        return key;
    }

    /// <summary>The id of a process that ran and ended, and that no process has taken since.</summary>
    private static async Task<int> EndedProcessIdAsync()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var start = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe", "/c exit") : new ProcessStartInfo("true");
            start.UseShellExecute = false;
            int pid;
            using (var process = Process.Start(start)!)
            {
                pid = process.Id;
                await process.WaitForExitAsync();
            }

            try
            {
                using var reused = Process.GetProcessById(pid);
            }
            catch (ArgumentException)
            {
                return pid;
            }
        }

        throw new InvalidOperationException("Every ended process's id was taken again at once.");
    }
}
