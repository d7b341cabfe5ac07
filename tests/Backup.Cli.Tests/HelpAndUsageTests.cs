namespace Backup.Cli.Tests;

public sealed class HelpAndUsageTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("init")]
    [InlineData("create")]
    [InlineData("snapshots")]
    [InlineData("ls")]
    [InlineData("diff")]
    [InlineData("restore")]
    [InlineData("dump")]
    [InlineData("key")]
    [InlineData("key", "list")]
    [InlineData("key", "add")]
    [InlineData("key", "remove")]
    [InlineData("key", "passwd")]
    [InlineData("stats")]
    [InlineData("unlock")]
    [InlineData("retention-lock")]
    [InlineData("retention-lock", "extend")]
    public async Task Every_verb_has_help(params string[] verb)
    {
        var result = await _cli.RunAsync([.. verb, "--help"]);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("Usage:").And.Contain($"backup {string.Join(' ', verb)}").And.Contain("Exit codes:");
        result.Stderr.Should().BeEmpty();
    }

    [Fact]
    public async Task Root_help_lists_the_verbs_and_the_exit_codes()
    {
        var result = await _cli.RunAsync("--help");

        result.ExitCode.Should().Be(0);
        foreach (var verb in new[] { "init", "create", "snapshots", "ls", "diff", "restore", "dump", "key", "stats" })
        {
            result.Stdout.Should().Contain(verb);
        }

        result.Stdout.Should().Contain("10   repository not found").And.Contain("11   wrong password").And.Contain("BACKUP_PASSWORD");
    }

    [Theory]
    [InlineData]
    [InlineData("restore")]
    [InlineData("dr", "drill")]
    public async Task Help_as_a_verb_shows_the_same_help_as_the_help_option(params string[] verb)
    {
        var result = await _cli.RunAsync(["help", .. verb]);
        var option = await _cli.RunAsync([.. verb, "--help"]);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("Usage:").And.Be(option.Stdout);
        result.Stderr.Should().BeEmpty();
    }

    [Fact]
    public async Task An_unknown_verb_is_a_usage_error()
    {
        var result = await _cli.RunAsync("frobnicate");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("backup: usage error:").And.Contain("frobnicate");
        result.Stdout.Should().BeEmpty();
    }

    [Fact]
    public async Task A_mistyped_backup_level_names_the_levels_and_any_case_of_one_is_taken()
    {
        var result = await _cli.RunAsync("create", "--level", "ful", _cli.Root);

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("'ful' is not a backup level: use full, incremental or differential.").And.NotContain("\\n");

        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "a");
        var full = await _cli.RunAsync("create", "--level", "Full", _cli.PathOf("src"));
        full.ExitCode.Should().Be(0, full.Stderr);
        (await _cli.RunAsync("snapshots")).Stdout.Should().Contain("full");
    }

    [Fact]
    public async Task No_verb_is_a_usage_error()
    {
        var result = await _cli.RunAsync();

        result.ExitCode.Should().Be(2);
    }

    [Theory]
    [InlineData("init", "--password", "hunter2")]
    [InlineData("snapshots", "--password", "hunter2")]
    [InlineData("create", "--stdin", "--password=hunter2")]
    [InlineData("restore", "--password", "hunter2", "--target", "/tmp/never")]
    [InlineData("ls", "--password=hunter2", "latest")]
    [InlineData("pin", "--password", "hunter2")]
    [InlineData("diff", "latest", "--password", "hunter2")]
    [InlineData("ls", "latest", "--password:hunter2")]
    [InlineData("snapshots", "--password", "-shunter2")]
    public async Task A_password_is_never_accepted_as_an_argument(params string[] args)
    {
        var result = await _cli.RunAsync(args, stdin: [], new() { ["BACKUP_PASSWORD"] = null });

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("--password").And.Contain("BACKUP_PASSWORD");
        (result.Stdout + result.Stderr).Should().NotContain("hunter2", "a secret typed on the command line is not repeated into a terminal's scrollback or a CI log");
        Directory.Exists(_cli.Repository).Should().BeFalse("nothing runs when the command line is wrong");
    }

    [Theory]
    [InlineData("--tagg", "--tag", "create", "--stdin", "--tagg", "x")]
    [InlineData("--keep-dayly", "--keep-daily", "forget", "--keep-dayly", "7")]
    [InlineData("--bogus", null, "ls", "latest", "--bogus")]
    [InlineData("--bogus", null, "dump", "latest", "/x", "--bogus")]
    public async Task A_mistyped_option_is_a_usage_error_naming_it_and_the_nearest_real_one(string typed, string? meant, params string[] args)
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync(args, stdin: [], null);

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain($"unknown option '{typed}'").And.NotContain("Passwords");
        if (meant is not null)
        {
            result.Stderr.Should().Contain($"did you mean '{meant}'?");
        }
    }

    [Fact]
    public async Task The_word_after_an_option_like_argument_is_not_repeated_even_after_a_double_dash()
    {
        var result = await _cli.RunAsync(["restore", "latest", "--", "--password", "hunter2"], stdin: [], new() { ["BACKUP_PASSWORD"] = null });

        result.ExitCode.Should().Be(2);
        (result.Stdout + result.Stderr).Should().NotContain("hunter2");
    }

    [Theory]
    [InlineData("snapshots", "--repo=", "--json")]
    [InlineData("snapshots", "--repo:", "/srv/backups")]
    [InlineData("restore", "latest", "--target=", "--dry-run")]
    public async Task An_option_with_an_equals_sign_and_no_value_does_not_take_the_next_word(params string[] args)
    {
        var result = await _cli.RunAsync(args, stdin: []);

        result.ExitCode.Should().Be(2);
        var option = args.Single(a => a.EndsWith('=') || a.EndsWith(':'));
        result.Stderr.Should().StartWith($"backup: usage error: '{option}' has no value").And.Contain($"{option[..^1]}=VALUE");
        result.Stderr.Should().NotContain("repository", "the next word was not taken for the repository's location");
    }

    [Fact]
    public async Task A_word_ending_in_an_equals_sign_after_a_double_dash_is_an_argument()
    {
        var result = await _cli.RunAsync(["ls", "latest", "--repo", _cli.PathOf("no-repository-here"), "--", "--odd-name="], stdin: []);

        result.Stderr.Should().NotContain("has no value");
        result.ExitCode.Should().Be(10, "the command line is right; only the repository is missing");
    }

    [Fact]
    public async Task An_option_value_that_starts_with_a_dash_is_a_value_not_an_unknown_option()
    {
        var result = await _cli.RunAsync(["create", "--stdin", "--tag", "-rc1", "--repo", _cli.PathOf("no-repository-here")], stdin: []);

        result.Stderr.Should().NotContain("unknown option");
        result.ExitCode.Should().Be(10, "the command line is right; only the repository is missing");
    }

    [Theory]
    [InlineData("forget", "--keep-daily", "abc")]
    [InlineData("forget", "--keep-last", "99999999999")]
    public async Task A_value_of_the_wrong_kind_is_described_in_words(params string[] args)
    {
        var result = await _cli.RunAsync(args);

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("expected a whole number").And.NotContain("System.");
    }

    [Fact]
    public async Task A_usage_error_in_a_nested_verb_names_its_whole_help_command()
    {
        var result = await _cli.RunAsync("key", "add", "--no-such-option");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("Run 'backup key add --help'");
    }

    [Fact]
    public async Task Restore_without_a_target_is_a_usage_error()
    {
        var result = await _cli.RunAsync("restore", "latest");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("--target");
    }

    [Theory]
    [InlineData("c4", "restore", "c4", "--target", "/tmp/never")]
    [InlineData("zz12", "ls", "zz12")]
    [InlineData("/etc", "dump", "/etc", "/x")]
    [InlineData("xyz1", "diff", "latest", "xyz1")]
    [InlineData("abc", "pin", "latest", "abc")]
    public async Task A_malformed_snapshot_id_is_a_usage_error_before_the_repository_is_opened(string bad, params string[] args)
    {
        var result = await _cli.RunAsync(args);

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain($"'{bad}' is not a snapshot ID: give 'latest' or at least 4 hexadecimal digits");
        result.Stderr.Should().NotContain("repository", "nothing was opened");
    }

    [Fact]
    public async Task A_bad_level_is_a_usage_error()
    {
        var result = await _cli.RunAsync("create", "--stdin", "--level", "sometimes");

        result.ExitCode.Should().Be(2);
    }

    [Fact]
    public async Task Overwrite_and_skip_existing_together_are_a_usage_error()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--overwrite", "--skip-existing");

        result.ExitCode.Should().Be(2);
        result.Stderr.Trim().Should().StartWith("backup: usage error:");
    }

    [Fact]
    public async Task A_bad_compression_setting_is_a_usage_error()
    {
        var result = await _cli.RunAsync("init", "--compression", "lzma");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("lzma");
    }

    [Theory]
    [InlineData("NO-SUCH-VERB", "--help")]
    [InlineData("NO-SUCH-VERB")]
    [InlineData("--json", "NO-SUCH-VERB", "--help")]
    public async Task An_unknown_verb_is_a_usage_error_even_with_help(params string[] args)
    {
        var result = await _cli.RunAsync(args);

        result.ExitCode.Should().Be(2, result.Stdout + result.Stderr);
        result.Stdout.Should().BeEmpty("no help is printed for a verb that does not exist");
        result.Stderr.Should().Contain("backup: usage error: 'NO-SUCH-VERB' is not a 'backup' command");
    }

    [Theory]
    [InlineData("prun", "backup prune")]
    [InlineData("unlok", "backup unlock")]
    [InlineData("snapshot", "backup snapshots")]
    public async Task An_unknown_verb_suggests_the_closest(string typed, string suggested)
    {
        var result = await _cli.RunAsync(typed, "--help");

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain($"'{typed}' is not a 'backup' command; did you mean '{suggested}'?");
    }

    [Fact]
    public async Task An_unknown_subverb_is_a_usage_error()
    {
        var result = await _cli.RunAsync("key", "lst", "--help");

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain("'lst' is not a 'backup key' command; did you mean 'backup key list'?");
    }
}
