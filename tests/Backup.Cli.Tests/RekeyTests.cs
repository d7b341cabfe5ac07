using System.Text.Json.Nodes;

namespace Backup.Cli.Tests;

/// <summary>
/// `key remove` leaves the master key as it was, so a former holder who kept the key object still gets in; the
/// documented way out (docs/cli.md, "Keys") is a new repository and `copy` of every snapshot.
/// </summary>
public sealed class RekeyTests : IDisposable
{
    private const string LeakedPassword = "the password that leaked";
    private const string NewPassword = "a fresh password for the new master key";

    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_removed_key_still_opens_with_a_kept_copy_until_the_snapshots_are_copied_to_a_new_master_key()
    {
        await _cli.InitAsync();
        File.WriteAllText(_cli.PathOf("secret.txt"), "payroll");
        (await _cli.RunAsync("create", "secret.txt")).ExitCode.Should().Be(0);
        var added = await _cli.RunAsync(["key", "add", "--json"], stdin: null, new() { ["BACKUP_NEW_PASSWORD"] = LeakedPassword });
        added.ExitCode.Should().Be(0, added.Stderr);
        var leakedId = JsonNode.Parse(added.Stdout)!["keyId"]!.GetValue<string>();

        // The former holder keeps a copy of their key object; the owner removes the key.
        var keptCopy = File.ReadAllBytes(Path.Combine(_cli.Repository, "keys", leakedId));
        (await _cli.RunAsync("key", "remove", leakedId)).ExitCode.Should().Be(0);
        (await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = LeakedPassword })).ExitCode.Should().Be(11);

        // Removing it changed nothing for whoever kept it: put back, it opens, since the master key is the same.
        File.WriteAllBytes(Path.Combine(_cli.Repository, "keys", leakedId), keptCopy);
        (await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = LeakedPassword })).ExitCode.Should().Be(0);
        File.Delete(Path.Combine(_cli.Repository, "keys", leakedId));

        // Re-keying: a new repository (a new master key) and every snapshot copied into it.
        var rekeyed = _cli.PathOf("rekeyed");
        var init = await _cli.RunAsync(["init", "--repo", rekeyed], stdin: null, new() { ["BACKUP_PASSWORD"] = NewPassword });
        init.ExitCode.Should().Be(0, init.Stderr);
        var copy = await _cli.RunAsync(["copy", "--to", rekeyed], stdin: null, new() { ["BACKUP_DESTINATION_PASSWORD"] = NewPassword });
        copy.ExitCode.Should().Be(0, copy.Stderr);

        // The kept key object opens nothing there, and the data is all there under the new password.
        File.WriteAllBytes(Path.Combine(rekeyed, "keys", leakedId), keptCopy);
        var attacker = await _cli.RunAsync(["snapshots", "--repo", rekeyed], stdin: null, new() { ["BACKUP_PASSWORD"] = LeakedPassword });
        attacker.ExitCode.Should().Be(11, attacker.Stderr);
        var dumped = await _cli.RunAsync(["dump", "latest", _cli.PathOf("secret.txt").TrimStart('/'), "--repo", rekeyed], stdin: null, new() { ["BACKUP_PASSWORD"] = NewPassword });
        dumped.ExitCode.Should().Be(0, dumped.Stderr);
        dumped.Stdout.Should().Be("payroll");
    }
}
