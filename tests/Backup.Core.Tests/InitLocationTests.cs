using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
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

    [Fact]
    public async Task A_target_creates_no_directory_until_init_so_opening_a_mistyped_path_leaves_nothing_behind()
    {
        using var directory = new TempDirectory();
        var missing = Path.Combine(directory.Path, "mistyped", "repository");
        using var credentials = TestRepository.NewKeyFile();
        var target = new LocalDirectoryTarget(missing);

        var open = () => BackupRepository.OpenAsync(target, credentials);

        await open.Should().ThrowAsync<RepositoryNotFoundException>();
        Directory.EnumerateFileSystemEntries(directory.Path).Should().BeEmpty();
        await using var repository = await TestRepository.InitAsync(target, credentials);
        Directory.Exists(Path.Combine(missing, "keys")).Should().BeTrue();
    }

    [Fact]
    public async Task A_location_that_is_a_file_is_refused_naming_it_and_the_file_is_left_alone()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "afile");
        await File.WriteAllTextAsync(file, "mine");

        var act = () => new LocalDirectoryTarget(file);

        act.Should().Throw<TargetConfigurationException>().Which.Message.Should().Be($"Repository location '{file}' is a file, not a directory: give the repository's directory.");
        (await File.ReadAllTextAsync(file)).Should().Be("mine");
    }
}
