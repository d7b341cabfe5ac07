using System.Text.Json.Nodes;

namespace Backup.Cli.Tests;

/// <summary>
/// Someone with write access to the storage adds key objects: downgraded copies of the real key, a copy asking for
/// an absurd amount of work, and garbage. The owner must still get in with the right password, at once, and be told
/// which key objects were skipped.
/// </summary>
public sealed class TamperedKeyTests : IDisposable
{
    // Key IDs that sort before any random one, so an opener that goes by name meets them first.
    private const string Downgraded = "00000000000000000000000000000001";
    private const string Absurd = "00000000000000000000000000000002";
    private const string Garbage = "00000000000000000000000000000003";
    private const string DowngradedPbkdf2 = "00000000000000000000000000000004";

    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Tampered_key_objects_are_skipped_and_named_and_the_right_password_still_opens()
    {
        await _cli.InitAsync();
        var keys = Path.Combine(_cli.Repository, "keys");
        var original = Directory.GetFiles(keys).Should().ContainSingle().Subject;
        var realKey = JsonNode.Parse(File.ReadAllText(original))!.AsObject();
        realKey["kdf"]!["algorithm"]!.GetValue<string>().Should().Be("argon2id", "new password keys use Argon2id");

        // The real key's data and salt under parameters an attacker chose.
        var downgraded = realKey.DeepClone().AsObject();
        downgraded["kdf"]!["iterations"] = 1;
        downgraded["kdf"]!["memoryKiB"] = 8;
        File.WriteAllText(Path.Combine(keys, Downgraded), downgraded.ToJsonString());

        var absurd = realKey.DeepClone().AsObject();
        absurd["kdf"]!["iterations"] = int.MaxValue;
        absurd["kdf"]!["memoryKiB"] = int.MaxValue;
        File.WriteAllText(Path.Combine(keys, Absurd), absurd.ToJsonString());

        File.WriteAllText(Path.Combine(keys, Garbage), "{\"kdf\": [not json");

        var pbkdf2 = realKey.DeepClone().AsObject();
        pbkdf2["kdf"] = new JsonObject { ["algorithm"] = "pbkdf2-sha256", ["iterations"] = 1000, ["salt"] = realKey["kdf"]!["salt"]!.GetValue<string>() };
        File.WriteAllText(Path.Combine(keys, DowngradedPbkdf2), pbkdf2.ToJsonString());

        var opened = await _cli.RunAsync("snapshots");

        opened.ExitCode.Should().Be(0, opened.Stderr);
        foreach (var id in new[] { Downgraded, Absurd, Garbage, DowngradedPbkdf2 })
        {
            opened.Stderr.Should().Contain($"skipped key {id}");
        }

        opened.Stderr.Should().Contain("fewer than").And.Contain("more than").And.Contain("not a valid key object");

        var wrong = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = "not the password" });
        wrong.ExitCode.Should().Be(11);
        wrong.Stderr.Should().Contain("4 unusable key object(s) were skipped").And.Contain(Absurd).And.Contain(Garbage);

        var list = await _cli.RunAsync("key", "list");
        list.ExitCode.Should().Be(0, list.Stderr);
        list.Stdout.Should().Contain($"{Garbage} is invalid and skipped when opening");
        var json = JsonNode.Parse((await _cli.RunAsync("key", "list", "--json")).Stdout)!.AsArray();
        json.Should().HaveCount(5);
        json.Where(k => k!["invalid"] is not null).Select(k => k!["id"]!.GetValue<string>())
            .Should().BeEquivalentTo([Downgraded, Absurd, Garbage, DowngradedPbkdf2]);

        // The owner cleans up: an invalid key can be removed like any other, and the warnings stop.
        foreach (var id in new[] { Downgraded, Absurd, Garbage, DowngradedPbkdf2 })
        {
            var removed = await _cli.RunAsync("key", "remove", id);
            removed.ExitCode.Should().Be(0, removed.Stderr);
        }

        var clean = await _cli.RunAsync("snapshots");
        clean.ExitCode.Should().Be(0, clean.Stderr);
        clean.Stderr.Should().NotContain("skipped key");
    }
}
