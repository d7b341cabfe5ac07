using Backup.Tests.Support;

namespace Backup.Cli.Tests;

/// <summary>Another user of the machine must not be able to copy a key object of a local repository and guess offline.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RepositoryPermissionTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Another_local_user_cannot_read_the_key_objects_of_a_new_repository()
    {
        Skip.IfNot(UnprivilegedUser.CanCreate, "needs root on Linux to create a real user");
        await _cli.InitAsync();
        File.WriteAllText(_cli.PathOf("src.txt"), "data");
        (await _cli.RunAsync("create", "src.txt")).ExitCode.Should().Be(0);

        // Everything above the repository is open to everyone, as /tmp or a home directory often is.
        File.SetUnixFileMode(_cli.Root, (UnixFileMode)0b111_101_101);
        var control = _cli.PathOf("public.txt");
        File.WriteAllText(control, "anyone may read this");
        File.SetUnixFileMode(control, (UnixFileMode)0b110_100_100);
        var key = Directory.GetFiles(Path.Combine(_cli.Repository, "keys")).Single();

        using var other = UnprivilegedUser.Create();
        other.CanRead(control).Should().BeTrue("the user can read what is meant to be readable");
        other.CanRead(key).Should().BeFalse("a key object is what an offline password guesser needs");
        other.CanList(_cli.Repository).Should().BeFalse();
        foreach (var file in Directory.GetFiles(_cli.Repository, "*", SearchOption.AllDirectories))
        {
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, file);
        }

        foreach (var directory in Directory.GetDirectories(_cli.Repository, "*", SearchOption.AllDirectories).Append(_cli.Repository))
        {
            File.GetUnixFileMode(directory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, directory);
        }
    }

    [SkippableFact]
    public async Task A_group_shared_repository_names_its_permissions_and_the_umask_does_not_narrow_them()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "Unix permissions");
        _cli.Environment["BACKUP_FILE_MODE"] = "640";
        await _cli.InitAsync();
        var key = Directory.GetFiles(Path.Combine(_cli.Repository, "keys")).Single();
        File.GetUnixFileMode(key).Should().Be((UnixFileMode)0b110_100_000);
        File.GetUnixFileMode(Path.Combine(_cli.Repository, "keys")).Should().Be((UnixFileMode)0b111_101_000);

        _cli.Environment["BACKUP_FILE_MODE"] = "755";
        var refused = await _cli.RunAsync("snapshots");
        refused.ExitCode.Should().Be(2);
        refused.Stderr.Should().Contain("BACKUP_FILE_MODE");
    }
}
