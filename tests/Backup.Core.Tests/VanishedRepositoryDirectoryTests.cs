using Backup.Core.Pipeline;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>
/// A long-running process (a hosted job) keeps its repository open between runs. When the repository's directory goes
/// away under it (moved, deleted, a disk unmounted from its mount point), the next backup must fail, not recreate the
/// directory and fill it with packs and snapshots no key can ever open while reporting success.
/// </summary>
public sealed class VanishedRepositoryDirectoryTests
{
    [Fact]
    public async Task A_backup_after_the_repository_directory_was_moved_away_fails_and_recreates_nothing()
    {
        using var directory = new TempDirectory();
        var root = Path.Combine(directory.Path, "repository");
        using var credentials = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(new LocalDirectoryTarget(root), credentials);
        await TestRepository.BackupBytesAsync(repository, "first.bin", TestRepository.RandomBytes(100_000, 1));
        Directory.Move(root, Path.Combine(directory.Path, "moved"));

        var backup = () => new BackupService(repository).BackupAsync(StreamSource.FromStream("second.bin", new MemoryStream(TestRepository.RandomBytes(100_000, 2))));

        (await backup.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should()
            .Contain($"'{root}'").And.Contain("gone or was replaced");
        Directory.Exists(root).Should().BeFalse();
    }

    [Fact]
    public async Task A_backup_into_an_empty_directory_left_where_the_repository_was_fails_and_writes_nothing_there()
    {
        using var directory = new TempDirectory();
        var root = Path.Combine(directory.Path, "mnt");
        using var credentials = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(new LocalDirectoryTarget(root), credentials);
        await TestRepository.BackupBytesAsync(repository, "first.bin", TestRepository.RandomBytes(100_000, 1));
        // What an unmounted disk leaves: its empty mount point at the repository's path.
        Directory.Move(root, Path.Combine(directory.Path, "disk"));
        Directory.CreateDirectory(root);

        var backup = () => new BackupService(repository).BackupAsync(StreamSource.FromStream("second.bin", new MemoryStream(TestRepository.RandomBytes(100_000, 2))));

        (await backup.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("gone or was replaced");
        Directory.EnumerateFileSystemEntries(root).Should().BeEmpty();
    }

    [Fact]
    public async Task Once_the_directory_is_back_the_same_open_repository_backs_up_again()
    {
        using var directory = new TempDirectory();
        var root = Path.Combine(directory.Path, "repository");
        var away = Path.Combine(directory.Path, "away");
        using var credentials = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(new LocalDirectoryTarget(root), credentials);
        await TestRepository.BackupBytesAsync(repository, "first.bin", TestRepository.RandomBytes(100_000, 1));
        Directory.Move(root, away);
        var whileAway = () => TestRepository.BackupBytesAsync(repository, "second.bin", TestRepository.RandomBytes(100_000, 2));
        await whileAway.Should().ThrowAsync<BackupTargetException>();

        Directory.Move(away, root);
        var result = await TestRepository.BackupBytesAsync(repository, "second.bin", TestRepository.RandomBytes(100_000, 2));

        (await TestRepository.RestoreAsync(repository, result.Snapshot)).Should().Equal(TestRepository.RandomBytes(100_000, 2));
    }
}
