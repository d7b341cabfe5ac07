using System.Diagnostics;
using System.Globalization;
using Backup.Tests.Support;

namespace Backup.Cli.Tests;

/// <summary>The restore run by an unprivileged user, for real: a separate system user created for the test.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RestorePrivilegeCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task A_user_restoring_set_id_files_gets_them_without_the_set_id_bits()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root on Linux to create a real user");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllText(_cli.PathOf("src/tool"), "#!/bin/sh\nid\n");
        File.WriteAllText(_cli.PathOf("src/shared"), "#!/bin/sh\nid\n");
        File.WriteAllText(_cli.PathOf("src/plain"), "#!/bin/sh\nid\n");
        File.SetUnixFileMode(_cli.PathOf("src/tool"), (UnixFileMode)0x9ED); // root's, set-user-ID, 0755
        File.SetUnixFileMode(_cli.PathOf("src/shared"), (UnixFileMode)0x5ED); // set-group-ID
        File.SetUnixFileMode(_cli.PathOf("src/plain"), (UnixFileMode)0x1ED);
        var create = await _cli.RunAsync("create", "src");
        create.ExitCode.Should().Be(0, create.Stderr);

        using var user = UnprivilegedUser.Create();
        var uid = user.Uid.ToString(CultureInfo.InvariantCulture);
        Run("chown", "-R", $"{uid}:{user.Gid}", _cli.Root);
        _cli.Launcher = ["/usr/bin/setpriv", $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--"];
        _cli.Environment["HOME"] = _cli.Root;

        var restore = await _cli.RunAsync("restore", "latest", "--target", "out", "--no-lock");

        restore.ExitCode.Should().Be(0, restore.Stderr);
        var restored = _cli.PathOf("out/" + _cli.PathOf("src").TrimStart('/'));
        ((int)File.GetUnixFileMode(Path.Combine(restored, "tool"))).Should().Be(0x1ED, "a set-user-ID program of root's must not become one of the user's");
        ((int)File.GetUnixFileMode(Path.Combine(restored, "shared"))).Should().Be(0x1ED);
        ((int)File.GetUnixFileMode(Path.Combine(restored, "plain"))).Should().Be(0x1ED);
        Run("stat", "-c", "%u", Path.Combine(restored, "tool")).Trim().Should().Be(uid, "the restore ran as the user");
    }

    [SkippableFact]
    public async Task A_password_file_the_user_cannot_read_is_named_as_the_password_file()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root on Linux to create a real user");
        await _cli.InitAsync();
        var passwordFile = _cli.PathOf("root-only-password");
        File.WriteAllText(passwordFile, CliRunner.Password + "\n");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var user = UnprivilegedUser.Create();
        Run("chmod", "0755", _cli.Root);
        _cli.Launcher = ["/usr/bin/setpriv", $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--"];
        _cli.Environment["HOME"] = _cli.Root;
        _cli.Environment["BACKUP_PASSWORD"] = null;

        var snapshots = await _cli.RunAsync("snapshots", "--password-file", passwordFile);

        snapshots.ExitCode.Should().NotBe(0);
        snapshots.Stderr.Should().Contain($"Password file '{passwordFile}' cannot be read by this user");
    }

    [SkippableFact]
    public async Task A_directory_the_user_may_not_create_in_the_target_says_what_to_do()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root on Linux to create a real user");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "a");
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);
        var target = _cli.PathOf("roots");
        Directory.CreateDirectory(target);
        using var user = UnprivilegedUser.Create();
        Run("chmod", "-R", "a+rwX", _cli.Repository);
        Run("chmod", "0755", _cli.Root, target);
        _cli.Launcher = ["/usr/bin/setpriv", $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--"];
        _cli.Environment["HOME"] = _cli.Root;

        var restore = await _cli.RunAsync("restore", "latest", "--target", target, "--no-lock");

        restore.ExitCode.Should().NotBe(0);
        restore.Stderr.Should().Contain($"cannot create the directory '{target}/").And.Contain("Permission denied")
            .And.Contain("give a target directory this user may write to, or run the restore as a user who may write there");
    }

    [SkippableFact]
    public async Task A_repository_this_user_may_not_read_says_so_and_what_to_do()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root on Linux to create a real user");
        await _cli.InitAsync();
        using var user = UnprivilegedUser.Create();
        Run("chmod", "0755", _cli.Root);
        _cli.Launcher = ["/usr/bin/setpriv", $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--"];
        _cli.Environment["HOME"] = _cli.Root;

        var snapshots = await _cli.RunAsync("snapshots");

        snapshots.ExitCode.Should().NotBe(0);
        snapshots.Stderr.Should().Contain("Permission denied: the repository's files are not readable by this user.")
            .And.Contain("Run as the user that owns them").And.Contain("give this user read access");
    }

    private static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{file} {string.Join(' ', arguments)}: {error}");
        return output.ToString(CultureInfo.InvariantCulture);
    }
}
