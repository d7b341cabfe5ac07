using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary>--append-only / BACKUP_APPEND_ONLY and --retention-lock, end to end.</summary>
public sealed class AppendOnlyCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public AppendOnlyCliTests() => Directory.CreateDirectory(_cli.PathOf("src"));

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Append_only_backups_work_and_release_their_locks_while_forget_and_prune_refuse_up_front()
    {
        await _cli.InitAsync();
        await File.WriteAllBytesAsync(_cli.PathOf("src/a.bin"), new byte[] { 1, 2, 3 });
        var first = await _cli.RunAsync("create", "src", "--append-only");
        await File.WriteAllBytesAsync(_cli.PathOf("src/a.bin"), new byte[] { 4, 5, 6 });
        var second = await _cli.RunAsync(["create", "src"], stdin: null, new() { ["BACKUP_APPEND_ONLY"] = "1" });

        first.ExitCode.Should().Be(0, first.Stderr);
        second.ExitCode.Should().Be(0, second.Stderr);
        Directory.EnumerateFiles(Path.Combine(_cli.Repository, "locks")).Should().BeEmpty("an append-only run deletes the locks it created");

        var forget = await _cli.RunAsync("forget", "--keep-last", "1", "--append-only");
        var prune = await _cli.RunAsync(["prune"], stdin: null, new() { ["BACKUP_APPEND_ONLY"] = "true" });
        var dryRun = await _cli.RunAsync("forget", "--keep-last", "1", "--dry-run", "--append-only");

        forget.ExitCode.Should().Be(2, forget.Stderr);
        forget.Stderr.Should().Contain("'forget' deletes snapshots").And.Contain("append-only");
        prune.ExitCode.Should().Be(2, prune.Stderr);
        prune.Stderr.Should().Contain("'prune'").And.Contain("BACKUP_APPEND_ONLY");
        dryRun.ExitCode.Should().Be(0, dryRun.Stderr);
        var list = await _cli.RunAsync("snapshots", "--json");
        JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength().Should().Be(2);
    }

    [Theory]
    [InlineData("'key passwd'", "key", "passwd")]
    [InlineData("'key remove'", "key", "remove", "abcd")]
    [InlineData("'repair index'", "repair", "index")]
    [InlineData("'repair snapshots'", "repair", "snapshots")]
    public async Task Verbs_that_delete_or_replace_objects_refuse_append_only_runs_before_writing_anything(string named, params string[] args)
    {
        await _cli.InitAsync();
        var before = Directory.EnumerateFiles(_cli.Repository, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        var refused = await _cli.RunAsync([.. args, "--append-only"], stdin: null, new() { ["BACKUP_NEW_PASSWORD"] = "a new password" });

        refused.ExitCode.Should().Be(2, refused.Stderr);
        refused.Stderr.Should().Contain(named).And.Contain("append-only");
        Directory.EnumerateFiles(_cli.Repository, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Should().Equal(before, "a refused run adds no key, index or lock");
    }

    [Fact]
    public async Task A_retention_lock_that_is_no_period_is_a_usage_error_naming_the_option_it_came_from()
    {
        var s3 = new Dictionary<string, string?>
        {
            ["BACKUP_REPOSITORY"] = "s3://bucket/repo", ["AWS_ACCESS_KEY_ID"] = "id", ["AWS_SECRET_ACCESS_KEY"] = "secret",
            ["BACKUP_S3_ENDPOINT"] = "http://127.0.0.1:9", ["BACKUP_S3_PATH_STYLE"] = "true",
        };

        var create = await _cli.RunAsync(["create", "src", "--retention-lock", "30x"], stdin: null, s3);

        create.ExitCode.Should().Be(2, create.Stderr);
        create.Stderr.Should().Contain("--retention-lock must be a positive period such as 30d, 36h or 2w; '30x' is not.")
            .And.NotContain("BACKUP_RETENTION_LOCK", "the variable is not set: the value came from the option");
    }

    [Fact]
    public async Task Retention_lock_on_storage_that_cannot_lock_is_a_usage_error()
    {
        await _cli.InitAsync();

        var create = await _cli.RunAsync("create", "src", "--retention-lock", "30d");

        create.ExitCode.Should().Be(2, create.Stderr);
        create.Stderr.Should().Contain("--retention-lock needs an s3:// or azure:// repository");
    }
}
