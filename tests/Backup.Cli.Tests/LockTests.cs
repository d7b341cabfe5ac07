using System.Text;
using System.Text.Json;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Repository.Locks;
using Backup.Core.Storage;

namespace Backup.Cli.Tests;

/// <summary>
/// Locks across real processes: a backup stopped (SIGSTOP, as a suspended laptop) past its lock's lifetime while
/// another process prunes must fail cleanly, not save a snapshot over deleted data; a lock object that does not
/// authenticate neither blocks nor passes unnoticed.
/// </summary>
public sealed class LockTests : IDisposable
{
    private const int LockSeconds = 2;
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_backup_stopped_past_its_lock_lifetime_while_another_process_prunes_fails_and_saves_nothing()
    {
        await _cli.InitAsync();
        var first = RandomBytes(6 * 1024 * 1024, seed: 1);
        var a = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "a.bin", "--tag", "a"], first);
        a.ExitCode.Should().Be(0, a.Stderr);
        var kept = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "c.bin", "--tag", "b"], RandomBytes(64 * 1024, seed: 3));
        kept.ExitCode.Should().Be(0, kept.Stderr);

        // B reads A's data again (deduplicated against A's packs); the test feeds stdin, so it decides when B stops.
        var shortLock = new Dictionary<string, string?> { ["BACKUP_LOCK_TTL"] = LockSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        CliResult? forget = null, prune = null;
        var b = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "b.bin", "--tag", "b"], first, shortLock, async process =>
        {
            // stdin took A's data (all but what the pipe buffers): B holds its lock and has deduplicated most of it.
            await Task.Delay(500);
            Signals.Stop(process.Id);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(LockSeconds + 2));

                // Another process finds B's lock expired: forgets A (keeping the one tagged b) and prunes, deleting A's packs.
                // One group for all: per path, --keep-tag b alone would leave A's group empty, which forget refuses.
                forget = await _cli.RunAsync("forget", "--keep-tag", "b", "--group-by", "none");
                prune = await _cli.RunAsync("prune");
            }
            finally
            {
                Signals.Continue(process.Id);
            }

            await process.StandardInput.BaseStream.WriteAsync(RandomBytes(1024 * 1024, seed: 2));
        });

        forget!.ExitCode.Should().Be(0, forget.Stderr);
        prune!.ExitCode.Should().Be(0, prune.Stderr);
        b.ExitCode.Should().Be(1, "the backup's lock lapsed and the data it references was deleted; stderr: " + b.Stderr);
        b.Stderr.Should().Contain("lapsed").And.Contain("Nothing that references the missing data was saved");

        var snapshots = await _cli.RunAsync("snapshots", "--json");
        snapshots.ExitCode.Should().Be(0, snapshots.Stderr);
        var left = JsonDocument.Parse(snapshots.Stdout).RootElement;
        left.GetArrayLength().Should().Be(1, "A was forgotten and B saved no snapshot");
        left[0].GetProperty("paths")[0].GetString().Should().Be("c.bin", "only the snapshot the policy keeps is left");
        var check = await _cli.RunAsync("check", "--read-data");
        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
    }

    [Fact]
    public async Task A_forged_plain_json_exclusive_lock_blocks_nothing_and_is_reported()
    {
        await _cli.InitAsync();
        var created = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "a.bin"], RandomBytes(64 * 1024, seed: 3));
        created.ExitCode.Should().Be(0, created.Stderr);

        // Someone with access to the storage (or a version that wrote locks as plain JSON) claims the repository
        // exclusively for a year; before locks were authenticated this blocked every backup and prune.
        var forged = Path.Combine(_cli.Repository, "locks", new string('f', 32));
        Directory.CreateDirectory(Path.GetDirectoryName(forged)!);
        var now = DateTimeOffset.UtcNow;
        await File.WriteAllTextAsync(forged, JsonSerializer.Serialize(new
        {
            exclusive = true,
            hostname = "forger",
            processId = 1,
            purpose = "prune",
            refreshed = now,
            expires = now.AddYears(1),
        }));

        var backup = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "b.bin"], RandomBytes(64 * 1024, seed: 4));
        backup.ExitCode.Should().Be(0, backup.Stderr);
        var prune = await _cli.RunAsync("prune");
        prune.ExitCode.Should().Be(0, prune.Stderr);
        foreach (var result in new[] { backup, prune })
        {
            result.Stderr.Should().Contain("backup: warning: Lock object 'locks/" + new string('f', 32) + "'").And.Contain("does not authenticate");
        }

        File.Exists(forged).Should().BeTrue("an unauthenticated lock is reported, not deleted");

        // Genuine lock objects are no longer readable JSON: storage access alone shows no host names or process ids.
        var held = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "c.bin"], RandomBytes(16 * 1024, seed: 5), null, async _ =>
        {
            // The backup waits for the rest of stdin, holding its lock.
            var locks = Path.Combine(_cli.Repository, "locks");
            string[] genuine = [];
            for (var wait = 0; wait < 300 && genuine.Length == 0; wait++)
            {
                await Task.Delay(100);
                genuine = [.. Directory.GetFiles(locks).Where(f => f != forged)];
            }

            genuine.Should().ContainSingle("the running backup holds a lock");
            var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(genuine[0]));
            text.Should().NotContain("\"hostname\"").And.NotContain("processId");
        });
        held.ExitCode.Should().Be(0, held.Stderr);
    }

    [Fact]
    public async Task The_lock_lifetime_setting_is_validated()
    {
        await _cli.InitAsync();
        foreach (var bad in new[] { "0", "-5", "15m", "86401" })
        {
            var result = await _cli.RunAsync(["snapshots"], null, new() { ["BACKUP_LOCK_TTL"] = bad });
            result.ExitCode.Should().Be(2, bad);
            result.Stderr.Should().Contain("BACKUP_LOCK_TTL").And.Contain("whole seconds from 1 to 86400");
        }
    }

    [Fact]
    public async Task A_backup_killed_with_sigkill_leaves_a_lock_the_next_command_ignores_at_once()
    {
        await _cli.InitAsync();
        var locks = Path.Combine(_cli.Repository, "locks");
        var killed = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "a.bin"], RandomBytes(64 * 1024, seed: 6), null, async process =>
        {
            // The backup waits for the rest of stdin, holding its lock: kill it as the OOM killer would.
            for (var wait = 0; wait < 300 && !(Directory.Exists(locks) && Directory.GetFiles(locks).Length > 0); wait++)
            {
                await Task.Delay(100);
            }

            Directory.GetFiles(locks).Should().ContainSingle("the running backup holds a lock");
            process.Kill();
            await process.WaitForExitAsync();
        });
        killed.ExitCode.Should().NotBe(0);
        Directory.GetFiles(locks).Should().ContainSingle("SIGKILL leaves the lock behind");

        // The default lifetime is 15 minutes, but the holder is gone: prune (exclusive) goes ahead now.
        var prune = await _cli.RunAsync("prune");
        prune.ExitCode.Should().Be(0, prune.Stderr);
        prune.Stderr.Should().Contain("backup: note: Stale lock").And.Contain("'backup' on host").And.Contain("no longer runs on this host").And.Contain("removed");
        Directory.GetFiles(locks).Should().BeEmpty("the dead process's lock was removed, and prune's own released");
    }

    [Fact]
    public async Task A_live_lock_blocks_with_the_command_named_and_unlock_removes_it_only_when_told_to_remove_all()
    {
        await _cli.InitAsync();
        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password));
        var pruneLock = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune");
        try
        {
            var refused = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "a.bin"], RandomBytes(1024, seed: 7));
            refused.ExitCode.Should().Be(1, refused.Stderr);
            refused.Stderr.Should().Contain($"locked exclusively by 'prune' on host {Environment.MachineName}, pid {Environment.ProcessId}, since ")
                .And.Contain("If that process is gone, run 'backup unlock'.").And.NotContain("locks/");

            var unlock = await _cli.RunAsync("unlock");
            unlock.ExitCode.Should().Be(0, unlock.Stderr);
            unlock.Stdout.Should().Contain("No stale locks.");
            File.Exists(Path.Combine(_cli.Repository, pruneLock.Key)).Should().BeTrue("its process runs");

            var unasked = await _cli.RunAsync("unlock", "--remove-all");
            unasked.ExitCode.Should().Be(2, "without a terminal there is no one to ask; stderr: " + unasked.Stderr);
            unasked.Stderr.Should().Contain("usage error").And.Contain("--yes");
            File.Exists(Path.Combine(_cli.Repository, pruneLock.Key)).Should().BeTrue();

            var all = await _cli.RunAsync("unlock", "--remove-all", "--yes");
            all.ExitCode.Should().Be(0, all.Stderr);
            all.Stdout.Should().Contain($"removed exclusive lock of 'prune' on host {Environment.MachineName}, pid {Environment.ProcessId}").And.Contain("(live)").And.Contain("Removed 1 lock.");
            File.Exists(Path.Combine(_cli.Repository, pruneLock.Key)).Should().BeFalse();

            var backup = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "a.bin"], RandomBytes(1024, seed: 7));
            backup.ExitCode.Should().Be(0, backup.Stderr);
        }
        finally
        {
            await pruneLock.DisposeAsync();
        }
    }

    [Fact]
    public async Task Another_hosts_lock_blocks_until_it_expires_and_unlock_then_removes_it()
    {
        await _cli.InitAsync();
        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password));
        var now = DateTimeOffset.UtcNow;
        var elsewhere = new LockObject
        {
            Exclusive = true,
            Hostname = "another-host",
            ProcessId = 1,
            Purpose = "prune",
            Taken = now,
            Refreshed = now,
            Expires = now.AddHours(1),
        };
        var live = RepositoryLayout.LocksPrefix + new string('1', 32);
        await repository.Locks.Target.PutAsync(live, RepositoryLock.Encode(repository.Locks, live, elsewhere));

        var refused = await _cli.RunAsync("prune");
        refused.ExitCode.Should().Be(1, refused.Stderr);
        refused.Stderr.Should().Contain("locked exclusively by 'prune' on host another-host, pid 1").And.Contain("'backup unlock --remove-all'");
        var unlock = await _cli.RunAsync("unlock");
        unlock.ExitCode.Should().Be(0, unlock.Stderr);
        unlock.Stdout.Should().Contain("No stale locks.");
        unlock.Stderr.Should().Contain("1 live lock remains (exclusive lock of 'prune' on host another-host, pid 1")
            .And.Contain("'backup unlock --remove-all' removes it");

        // The same lock, expired: stale whichever host wrote it.
        await repository.Locks.Target.PutAsync(live, RepositoryLock.Encode(repository.Locks, live, elsewhere with { Expires = now.AddMinutes(-1) }));
        unlock = await _cli.RunAsync("unlock");
        unlock.ExitCode.Should().Be(0, unlock.Stderr);
        unlock.Stdout.Should().Contain("removed exclusive lock of 'prune' on host another-host, pid 1").And.Contain("stale: it expired").And.Contain("Removed 1 lock.");
        (await _cli.RunAsync("prune")).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Unlock_with_json_lists_what_it_removed_and_nothing_else_on_stdout()
    {
        await _cli.InitAsync();
        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password));
        var now = DateTimeOffset.UtcNow;
        var expired = new LockObject
        {
            Exclusive = true,
            Hostname = "another-host",
            ProcessId = 42,
            Purpose = "prune",
            Taken = now.AddHours(-2),
            Refreshed = now.AddHours(-2),
            Expires = now.AddHours(-1),
        };
        var stale = RepositoryLayout.LocksPrefix + new string('2', 32);
        var live = RepositoryLayout.LocksPrefix + new string('3', 32);
        await repository.Locks.Target.PutAsync(stale, RepositoryLock.Encode(repository.Locks, stale, expired));
        await repository.Locks.Target.PutAsync(live, RepositoryLock.Encode(repository.Locks, live, expired with { Exclusive = false, Purpose = "backup", Expires = now.AddHours(1) }));

        var unlock = await _cli.RunAsync("unlock", "--json");
        unlock.ExitCode.Should().Be(0, unlock.Stderr);
        using (var json = JsonDocument.Parse(unlock.Stdout))
        {
            json.RootElement.GetProperty("scope").GetString().Should().Be("stale");
            json.RootElement.GetProperty("count").GetInt32().Should().Be(1);
            var removed = json.RootElement.GetProperty("removed").EnumerateArray().Should().ContainSingle().Subject;
            removed.GetProperty("key").GetString().Should().Be(stale);
            removed.GetProperty("exclusive").GetBoolean().Should().BeTrue();
            removed.GetProperty("purpose").GetString().Should().Be("prune");
            removed.GetProperty("hostname").GetString().Should().Be("another-host");
            removed.GetProperty("processId").GetInt32().Should().Be(42);
            removed.GetProperty("stale").GetBoolean().Should().BeTrue();
            removed.GetProperty("staleReason").GetString().Should().Contain("expired");
            removed.GetProperty("expires").GetDateTimeOffset().Should().BeCloseTo(now.AddHours(-1), TimeSpan.FromSeconds(1));
        }

        var all = await _cli.RunAsync("unlock", "--remove-all", "--yes", "--json");
        all.ExitCode.Should().Be(0, all.Stderr);
        using (var json = JsonDocument.Parse(all.Stdout))
        {
            json.RootElement.GetProperty("scope").GetString().Should().Be("all");
            var removed = json.RootElement.GetProperty("removed").EnumerateArray().Should().ContainSingle().Subject;
            removed.GetProperty("key").GetString().Should().Be(live);
            removed.GetProperty("exclusive").GetBoolean().Should().BeFalse();
            removed.GetProperty("stale").GetBoolean().Should().BeFalse();
            removed.GetProperty("staleReason").ValueKind.Should().Be(JsonValueKind.Null);
        }

        var none = await _cli.RunAsync("unlock", "--json");
        JsonDocument.Parse(none.Stdout).RootElement.GetProperty("removed").GetArrayLength().Should().Be(0);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
