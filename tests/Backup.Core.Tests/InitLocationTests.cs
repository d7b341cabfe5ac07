using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public sealed class InitLocationTests
{
    [Fact]
    public async Task Init_into_a_directory_of_other_files_is_refused_and_writes_nothing()
    {
        using var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "photos"));
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "photos", "cat.jpg"), "mine");
        using var credentials = TestRepository.NewKeyFile();

        var act = () => TestRepository.InitAsync(new LocalDirectoryTarget(directory.Path), credentials);

        // The wrong --repo must not mix a repository's files with the user's.
        (await act.Should().ThrowAsync<RepositoryException>()).Which.Message.Should()
            .Contain("is not empty").And.Contain("photos/cat.jpg").And.Contain("a location of its own");
        Directory.EnumerateFileSystemEntries(directory.Path).Select(Path.GetFileName).Should().BeEquivalentTo(["photos"]);
    }

    [Fact]
    public async Task Init_over_what_an_interrupted_init_left_succeeds()
    {
        using var directory = new TempDirectory();
        var target = new LocalDirectoryTarget(directory.Path);
        await target.PutAsync(RepositoryLayout.KeysPrefix + new string('a', 64), "{}"u8.ToArray());
        using var credentials = TestRepository.NewKeyFile();

        await using var repository = await TestRepository.InitAsync(target, credentials);

        (await target.StatAsync(RepositoryLayout.Config)).Should().NotBeNull();
    }

    [Fact]
    public async Task Init_where_a_repository_is_says_to_open_it()
    {
        using var directory = new TempDirectory();
        var target = new LocalDirectoryTarget(directory.Path);
        using var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials)).DisposeAsync();

        var act = () => TestRepository.InitAsync(target, credentials);

        (await act.Should().ThrowAsync<RepositoryAlreadyExistsException>()).Which.Message.Should().Contain("open it instead");
    }
}
