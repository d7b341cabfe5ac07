using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary><c>backup copy</c> between local repositories, and the remote repository URL forms' settings errors.</summary>
public sealed class CopyAndRemoteTests : IDisposable
{
    private const string DestinationPassword = "a different destination password";

    private readonly CliRunner _cli = new();

    public CopyAndRemoteTests()
    {
        Directory.CreateDirectory(_cli.PathOf("src/sub"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "alpha");
        File.WriteAllBytes(_cli.PathOf("src/sub/b.bin"), [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7 % 251))]);
        // The remote settings tests must not depend on the machine's environment.
        foreach (var name in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_CONNECTION_STRING" })
        {
            _cli.Environment[name] = null;
        }
    }

    private string Destination => _cli.PathOf("destination");

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Copy_between_repositories_with_different_passwords_restores_the_original_and_skips_it_the_second_time()
    {
        await _cli.InitAsync();
        var init = await _cli.RunAsync(["init", "--repo", Destination], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword });
        init.ExitCode.Should().Be(0, init.Stderr);
        var create = await _cli.RunAsync("create", "src", "--json");
        create.ExitCode.Should().Be(0, create.Stderr);
        var sourceId = JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString();
        var copyEnvironment = new Dictionary<string, string?> { ["BACKUP_DESTINATION_PASSWORD"] = DestinationPassword };

        var copy = await _cli.RunAsync(["copy", "--from", _cli.Repository, "--to", Destination, "--json"], stdin: null, copyEnvironment);
        var again = await _cli.RunAsync(["copy", "--to", Destination], stdin: null, copyEnvironment);

        copy.ExitCode.Should().Be(0, copy.Stderr);
        var json = JsonDocument.Parse(copy.Stdout).RootElement;
        var copied = json.GetProperty("copied").EnumerateArray().ToList();
        copied.Should().ContainSingle();
        copied[0].GetProperty("sourceId").GetString().Should().Be(sourceId);
        var newId = copied[0].GetProperty("newId").GetString();
        newId.Should().NotBe(sourceId, "the destination has its own keyed IDs");
        json.GetProperty("skipped").GetArrayLength().Should().Be(0);
        json.GetProperty("blobsAdded").GetInt64().Should().BePositive();
        json.GetProperty("bytesStored").GetInt64().Should().BePositive();
        copy.Stdout.Should().NotContain(CliRunner.Password).And.NotContain(DestinationPassword);

        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stdout.Should().Contain($"skipped {sourceId![..8]}").And.Contain("0 snapshot(s) copied, 1 skipped");

        var restore = await _cli.RunAsync(
            ["restore", "latest", "--repo", Destination, "--target", _cli.PathOf("restored")], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword });
        restore.ExitCode.Should().Be(0, restore.Stderr);
        var restored = Path.Combine(_cli.PathOf("restored"), _cli.PathOf("src").TrimStart('/'));
        File.ReadAllText(Path.Combine(restored, "a.txt")).Should().Be("alpha");
        File.ReadAllBytes(Path.Combine(restored, "sub", "b.bin")).Should().Equal(File.ReadAllBytes(_cli.PathOf("src/sub/b.bin")));
        var listed = await _cli.RunAsync(["snapshots", "--repo", Destination, "--json"], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword });
        JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetString()).Should().Equal(newId);
    }

    [Fact]
    public async Task Copy_from_a_damaged_source_exits_12_naming_the_source_the_snapshot_and_what_to_run()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync(["init", "--repo", Destination], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword })).ExitCode.Should().Be(0);
        var create = await _cli.RunAsync("create", "src", "--json");
        create.ExitCode.Should().Be(0, create.Stderr);
        var sourceId = JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString()!;
        var pack = new FileInfo(Directory.GetFiles(Path.Combine(_cli.Repository, "data"), "*", SearchOption.AllDirectories).Single());
        using (var stream = pack.Open(FileMode.Open, FileAccess.ReadWrite))
        {
            // Inside the first blob's ciphertext: its authentication fails when the copy reads it.
            stream.Position = 60;
            var value = stream.ReadByte();
            stream.Position = 60;
            stream.WriteByte((byte)(value ^ 0xFF));
        }

        var copy = await _cli.RunAsync(["copy", "--from", _cli.Repository, "--to", Destination], stdin: null, new() { ["BACKUP_DESTINATION_PASSWORD"] = DestinationPassword });

        copy.ExitCode.Should().Be(12, copy.Stderr);
        // Two repositories are in play: the operator must learn which one is damaged, and which command finds the rest.
        copy.Stderr.Should().Contain($"Snapshot {sourceId[..8]} cannot be copied: the source, local directory '{_cli.Repository}', is damaged")
            .And.Contain("Run 'backup check --read-data' with --repo set to that repository.");
    }

    [Fact]
    public async Task Copy_of_named_snapshots_reads_the_destination_password_from_a_file_and_a_wrong_one_exits_11()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync(["init", "--repo", Destination], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword })).ExitCode.Should().Be(0);
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);
        File.WriteAllText(_cli.PathOf("src/a.txt"), "alpha, changed");
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);
        File.WriteAllText(_cli.PathOf("dest-pw.txt"), DestinationPassword + "\n");
        File.WriteAllText(_cli.PathOf("wrong-pw.txt"), "wrong\n");

        var wrong = await _cli.RunAsync("copy", "--to", Destination, "--destination-password-file", _cli.PathOf("wrong-pw.txt"));
        var copy = await _cli.RunAsync("copy", "--to", Destination, "--destination-password-file", _cli.PathOf("dest-pw.txt"), "latest", "--json");

        wrong.ExitCode.Should().Be(11, wrong.Stderr);
        wrong.Stderr.Should().Contain("the destination's from --destination-password-file", "a copy has two passwords: it says where each comes from");
        copy.ExitCode.Should().Be(0, copy.Stderr);
        JsonDocument.Parse(copy.Stdout).RootElement.GetProperty("copied").GetArrayLength().Should().Be(1, "only 'latest' was named");
    }

    [Fact]
    public async Task Copy_to_a_missing_repository_exits_10_and_to_itself_is_a_usage_error()
    {
        await _cli.InitAsync();

        var missing = await _cli.RunAsync(["copy", "--to", _cli.PathOf("nowhere")], stdin: null, new() { ["BACKUP_DESTINATION_PASSWORD"] = DestinationPassword });
        var itself = await _cli.RunAsync(["copy", "--to", _cli.Repository], stdin: null, new() { ["BACKUP_DESTINATION_PASSWORD"] = CliRunner.Password });

        missing.ExitCode.Should().Be(10, missing.Stderr);
        itself.ExitCode.Should().Be(2, itself.Stderr);
        itself.Stderr.Should().Contain("same repository");
    }

    [Theory]
    [InlineData("s3://bucket/repo", "AWS_ACCESS_KEY_ID")]
    [InlineData("azure://container/repo", "AZURE_STORAGE_CONNECTION_STRING")]
    [InlineData("sftp://backup@127.0.0.1:2222/srv/repo", "BACKUP_SFTP_HOST_KEY")]
    public async Task A_remote_url_with_missing_settings_is_a_usage_error_naming_the_variable(string url, string variable)
    {
        var result = await _cli.RunAsync(["snapshots", "--repo", url], stdin: null, new() { ["BACKUP_SFTP_PASSWORD"] = "sftp-secret-value" });

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("backup: usage error:").And.Contain(variable);
        result.Stderr.Should().NotContain("sftp-secret-value");
    }

    [Fact]
    public async Task Sftp_needs_a_login_and_s3_its_secret_key_and_neither_echoes_secrets()
    {
        var noLogin = await _cli.RunAsync(["snapshots", "--repo", "sftp://backup@example.invalid/srv/repo"], stdin: null, new() { ["BACKUP_SFTP_HOST_KEY"] = "SHA256:abc" });
        var noSecret = await _cli.RunAsync(["copy", "--to", "s3://bucket"], stdin: null, new() { ["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE" });
        var passwordInUrl = await _cli.RunAsync("snapshots", "--repo", "sftp://backup:hunter2-in-url@example.invalid/srv/repo");

        noLogin.ExitCode.Should().Be(2, noLogin.Stderr);
        noLogin.Stderr.Should().Contain("BACKUP_SFTP_KEY_FILE").And.Contain("BACKUP_SFTP_PASSWORD");
        noSecret.ExitCode.Should().Be(2, noSecret.Stderr);
        noSecret.Stderr.Should().Contain("AWS_SECRET_ACCESS_KEY");
        passwordInUrl.ExitCode.Should().Be(2, passwordInUrl.Stderr);
        passwordInUrl.Stderr.Should().NotContain("hunter2");
    }

    [Fact]
    public async Task An_unknown_scheme_is_a_usage_error()
    {
        var result = await _cli.RunAsync("snapshots", "--repo", "ftp://example.invalid/repo");

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain("sftp://, s3:// or azure://");
    }
}
