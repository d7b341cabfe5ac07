namespace Backup.Cli.Tests;

/// <summary>
/// A password file means its first line, without the line ending, in the tool as in a host (SecretFile): a file
/// written on Windows (CRLF), with a trailing newline, without one, or with more lines all give the same password.
/// </summary>
public sealed class PasswordFileTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Crlf_trailing_newline_and_multi_line_password_files_give_the_same_password()
    {
        var crlf = Write("crlf", "pw-7f3a\r\n");
        var newline = Write("newline", "pw-7f3a\n");
        var lines = Write("lines", "pw-7f3a\nnot part of it\n");
        var noEnvironment = new Dictionary<string, string?> { ["BACKUP_PASSWORD"] = null };

        var init = await _cli.RunAsync(["init", "--password-file", crlf], stdin: null, noEnvironment);
        var withNewline = await _cli.RunAsync(["snapshots", "--password-file", newline], stdin: null, noEnvironment);
        var withLines = await _cli.RunAsync(["snapshots", "--password-file", lines], stdin: null, noEnvironment);
        var withVariable = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = "pw-7f3a" });

        init.ExitCode.Should().Be(0, init.Stderr);
        withNewline.ExitCode.Should().Be(0, withNewline.Stderr);
        withLines.ExitCode.Should().Be(0, withLines.Stderr);
        withVariable.ExitCode.Should().Be(0, "the file's first line is the password itself: {0}", withVariable.Stderr);
    }

    [Fact]
    public async Task BACKUP_PASSWORD_FILE_names_the_password_file_and_wins_over_BACKUP_PASSWORD()
    {
        var file = Write("secret", "pw-from-file\n");
        var init = await _cli.RunAsync(["init"], stdin: null, new() { ["BACKUP_PASSWORD"] = null, ["BACKUP_PASSWORD_FILE"] = file });

        // A mounted secret (BACKUP_PASSWORD_FILE) is what a container or systemd unit gives; a stray BACKUP_PASSWORD
        // left in the environment must not shadow it, as with restic's RESTIC_PASSWORD_FILE.
        var both = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = "something-else", ["BACKUP_PASSWORD_FILE"] = file });
        var missing = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = null, ["BACKUP_PASSWORD_FILE"] = _cli.PathOf("no-such-file") });

        init.ExitCode.Should().Be(0, init.Stderr);
        both.ExitCode.Should().Be(0, both.Stderr);
        (await _cli.RunAsync(["snapshots", "--password-file", file], stdin: null, new() { ["BACKUP_PASSWORD"] = null })).ExitCode
            .Should().Be(0, "the repository was created with the file's first line as its password");
        missing.ExitCode.Should().NotBe(0);
        missing.Stderr.Should().Contain(_cli.PathOf("no-such-file")).And.Contain("does not exist")
            .And.Contain("BACKUP_PASSWORD_FILE names the password file", "an exported variable is easily forgotten: the error says where the path came from");
    }

    [Fact]
    public async Task The_help_names_the_password_file_variables()
    {
        var help = await _cli.RunAsync("--help");
        var copy = await _cli.RunAsync("copy", "--help");

        help.Stdout.Should().Contain("BACKUP_PASSWORD_FILE").And.Contain("BACKUP_NEW_PASSWORD_FILE").And.Contain("BACKUP_DESTINATION_PASSWORD_FILE");
        copy.Stdout.Should().Contain("$BACKUP_PASSWORD_FILE").And.Contain("$BACKUP_DESTINATION_PASSWORD_FILE");
    }

    [Fact]
    public async Task An_empty_password_file_is_an_error_naming_the_file()
    {
        var empty = Write("empty", "\nsecret-on-the-second-line\n");

        var result = await _cli.RunAsync(["init", "--password-file", empty], stdin: null, new() { ["BACKUP_PASSWORD"] = null });

        result.ExitCode.Should().NotBe(0);
        result.Stderr.Should().Contain(empty).And.Contain("empty").And.NotContain("secret-on-the-second-line");
    }

    /// <summary>
    /// At 3 a.m. after the backup server is gone, the runbook's --password-file path points at that server: the error
    /// must say what to do, not only that the file is missing.
    /// </summary>
    [Fact]
    public async Task A_missing_password_file_says_to_give_the_file_from_where_it_is_kept()
    {
        var gone = _cli.PathOf("etc-backup-gone/repo-password");
        (await _cli.RunAsync(["init", "--password-file", Write("kept", "pw-7f3a\n")], stdin: null, new() { ["BACKUP_PASSWORD"] = null })).ExitCode.Should().Be(0);

        var result = await _cli.RunAsync(["snapshots", "--password-file", gone], stdin: null, new() { ["BACKUP_PASSWORD"] = null });

        result.ExitCode.Should().Be(1);
        result.Stderr.Should().Contain($"Password file '{gone}' does not exist: give the path of the file that holds the password.")
            .And.Contain("bring it from where it is kept");
    }

    private string Write(string name, string content)
    {
        var path = _cli.PathOf(name);
        File.WriteAllText(path, content);
        return path;
    }
}
