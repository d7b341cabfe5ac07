using System.Text;
using System.Text.Json;

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

                // Another process finds B's lock expired: forgets A and prunes, deleting A's packs.
                forget = await _cli.RunAsync("forget", "--keep-tag", "b");
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
        JsonDocument.Parse(snapshots.Stdout).RootElement.GetArrayLength().Should().Be(0, "A was forgotten and B saved no snapshot");
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

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
