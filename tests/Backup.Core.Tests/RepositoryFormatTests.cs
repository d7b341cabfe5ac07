using System.Text.Json.Nodes;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class RepositoryFormatTests
{
    [Fact]
    public async Task A_repository_of_a_newer_format_version_is_refused_with_a_message_naming_the_version()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials)).DisposeAsync();
        var config = JsonNode.Parse(await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength))!;
        config["version"] = RepositoryConfig.CurrentVersion + 1;
        await target.PutAsync(RepositoryLayout.Config, System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()));

        var act = () => BackupRepository.OpenAsync(target, credentials);
        (await act.Should().ThrowAsync<RepositoryFormatException>()).WithMessage($"*version {RepositoryConfig.CurrentVersion + 1}*");
    }

    [Fact]
    public async Task A_repository_created_without_a_retention_lock_writes_the_version_1_config_it_always_did_and_is_not_guarded()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials)).DisposeAsync();
        var stored = await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength);

        // The 1.0 layout, field for field and in order: a reader that predates the recorded lock opens it unchanged.
        var config = JsonNode.Parse(stored)!.AsObject();
        config.Select(p => p.Key).Should().Equal("format", "version", "id", "created", "chunker", "packSize", "compression", "mac");
        config["version"]!.GetValue<int>().Should().Be(1);
        var read = await BackupRepository.ReadConfigAsync(target);
        read.RetentionLock.Should().BeNull();
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(read, RepositoryJson.Default.RepositoryConfig).Should().Equal(stored, "the config re-serialises byte for byte, so its MAC is the one 1.0 computes");

        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        repository.Blobs.Target.Should().BeSameAs(target, "writes go to the target as before: no guard stands in between");
        repository.RequireRetentionLockForWriting();
        await TestRepository.BackupBytesAsync(repository, "a.bin", TestRepository.RandomBytes(10_000, 1));
        (await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength)).Should().Equal(stored);
    }

    [Fact]
    public async Task Opening_an_empty_target_throws_RepositoryNotFoundException_naming_the_target()
    {
        using var directory = new TempDirectory();
        var act = () => BackupRepository.OpenAsync(new LocalDirectoryTarget(directory.Path), TestRepository.NewKeyFile());
        (await act.Should().ThrowAsync<RepositoryNotFoundException>()).WithMessage($"*{directory.Path}*");
    }

    [Fact]
    public async Task Creating_a_repository_where_one_exists_throws_and_leaves_it_usable()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials)).DisposeAsync();
        var config = await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength);

        var act = () => TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        await act.Should().ThrowAsync<RepositoryException>();
        (await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength)).Should().Equal(config);
        (await TestRepository.ListAsync(target, RepositoryLayout.KeysPrefix)).Should().ContainSingle();
        await (await BackupRepository.OpenAsync(target, credentials)).DisposeAsync();
    }

    [Fact]
    public async Task The_config_records_the_settings_chosen_at_init_and_holds_no_secret()
    {
        var target = new InMemoryTarget();
        var options = TestRepository.SmallOptions("gzip", packSize: 8 * 1024 * 1024);
        await (await TestRepository.InitAsync(target, TestRepository.NewKeyFile(), options)).DisposeAsync();
        var config = await BackupRepository.ReadConfigAsync(target);
        config.Version.Should().Be(1, "a repository without user transforms keeps the format it always had");
        config.Compression.Should().Be("gzip");
        config.PackSize.Should().Be(8 * 1024 * 1024);
        config.Chunker.Should().Be(TestRepository.SmallChunker);
        var text = System.Text.Encoding.UTF8.GetString(await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength));
        text.Should().NotContainAny("key", "secret", "salt");
    }

    [Fact]
    public async Task A_config_that_is_not_a_repository_config_is_reported_as_corrupt()
    {
        var target = new InMemoryTarget();
        await target.PutAsync(RepositoryLayout.Config, "{\"format\":\"something-else\",\"version\":1,\"id\":\"x\",\"chunker\":{}}"u8.ToArray());
        var act = () => BackupRepository.OpenAsync(target, TestRepository.NewKeyFile());
        await act.Should().ThrowAsync<RepositoryCorruptException>();
        await target.PutAsync(RepositoryLayout.Config, "not json"u8.ToArray());
        await act.Should().ThrowAsync<RepositoryCorruptException>();
    }

    [Theory]
    [InlineData("compression", "zstd:19")]
    [InlineData("packSize", 8388608)]
    [InlineData("mac", null)]
    public async Task A_config_changed_outside_the_library_is_refused_before_anything_is_read_or_written(string field, object? value)
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(target, credentials)).DisposeAsync();
        var config = JsonNode.Parse(await target.ReadAllAsync(RepositoryLayout.Config, Array.MaxLength))!;
        config[field] = JsonValue.Create(value);
        await target.PutAsync(RepositoryLayout.Config, System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()));
        var objects = await TestRepository.ListAsync(target, string.Empty);

        var open = () => BackupRepository.OpenAsync(target, credentials);
        (await open.Should().ThrowAsync<RepositoryCorruptException>()).WithMessage("*config*authentication code*");
        var openForRepair = () => BackupRepository.OpenWithoutIndexAsync(target, credentials);
        await openForRepair.Should().ThrowAsync<RepositoryCorruptException>();
        (await TestRepository.ListAsync(target, string.Empty)).Should().Equal(objects, "a refused open writes nothing, not even a lock");
    }
}
